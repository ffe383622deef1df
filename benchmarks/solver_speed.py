"""Solver benchmark: steps verified per second on the CPU (target >= 100,000).

Verifies gold traces and corrupted ones (a wrong premise cited in the first step), parsed once
beforehand, so the figure is the solver's own speed. Prints one line per figure."""
import time

from sokrates.problems import GeneratorConfig, generate
from sokrates.solver import verify_trace
from sokrates.traces import parse_trace


def main(n_problems: int = 2000, repeats: int = 5) -> None:
    problems = generate(GeneratorConfig(n=n_problems, unknown_ratio=0.05))
    cases = []
    for p in problems:
        gold = p.target()
        bad = gold.replace(f'args="[{p.proof[0]["args"][0]},', f'args="[{(p.proof[0]["args"][0] + 1) % len(p.premises)},', 1)
        for text in (gold, bad):
            cases.append((p, parse_trace(text, len(p.premises))))
        _ = (p.formulas, p.query_formula)  # premises are parsed once per problem, as in evaluation
    steps = sum(len(t.steps) for _, t in cases)
    start = time.perf_counter()
    for _ in range(repeats):
        for p, t in cases:
            verify_trace(t, p.formulas, p.query_formula, p.label)
    elapsed = time.perf_counter() - start
    parse_start = time.perf_counter()
    for p, t in cases:
        parse_trace(p.target(), len(p.premises))
    parse_elapsed = time.perf_counter() - parse_start
    print(f"traces: {len(cases)}  steps: {steps}  repeats: {repeats}")
    print(f"solver: {steps * repeats / elapsed:,.0f} steps verified/s (target 100,000)")
    print(f"render+parse: {steps / parse_elapsed:,.0f} steps/s")


if __name__ == "__main__":
    main()
