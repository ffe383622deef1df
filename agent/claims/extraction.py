"""Claims in drafts: every number that reads as a quantitative claim in Markdown or LaTeX, with the sentence it
stands in (across soft-wrapped lines) or the table cell's row label, column headers (multi-row and
\\multicolumn headers included) and caption. Non-claims (section, table and figure numbers, citations, years,
model names, list markers, confidence levels) are left out here."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .tables import grid_settings, leading_labels, table_deltas, with_abbreviations, with_setting


@dataclass
class Claim:
    file: str
    line: int
    text: str                   # the number as written ("74.3%", "1,178/1,200", "44×")
    value: float
    kind: str = "number"        # number | percent | ratio | difference | fraction
    decimals: int = 0
    role: str = "value"         # value | ci_low | ci_high | pm (the ± part)
    approx: bool = False        # "about", "~": checked at its precision, never a mismatch
    bound: str = ""             # ">" for "over 90%", "<" for "under 5%"
    link: str | None = None     # explicit provenance path#key
    sentence: str = ""          # the sentence (prose) or "row | columns | caption" (table cell)
    pos: int = 0                # where the number stands in `sentence`
    table: dict | None = None   # {"row", "columns", "caption"} for a table cell
    heading: str = ""
    paragraph: str = ""         # the paragraph up to this sentence (stages named earlier)
    k: int | None = None        # a written fraction k/n
    n: int | None = None
    status: str = "unsupported"
    source: str | None = None
    expected: float | None = None
    rule: str = ""
    extra: dict = field(default_factory=dict)


_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
NUMBER = re.compile(rf"(?<![\w.,])(?P<sign>[+\-−])?(?P<num>{_NUM})"
                    r"(?:(?:\s*[eE](?P<exp>[-+−]?\d+))|(?:\s*(?:×|x|\*)\s*10\^\{?(?P<exp2>[-+−]?\d+)\}?))?"
                    rf"(?P<frac>\s*/\s*(?P<den>{_NUM})(?![\w.]))?"
                    r"(?P<suffix>\s?%|\s?×|x\b|-?fold\b|\s?(?:percentage\s+)?(?:points?|pp)\b|[KM]\b)?")
NON_CLAIM_BEFORE = re.compile(r"(?:(?:sections?|secs?\.|§§?|tables?|tab\.|figures?|figs?\.|eqs?\.|equations?|appendix|"
                              r"app\.|chapters?|lemmas?|theorems?|algorithms?|alg\.|lines?|pages?|pp\.|footnote|ref\.)"
                              r"\s*~?\s*(?:\d+\s*(?:-{1,2}|–|,|and)\s*)?|(?:version|v|step|iter(?:ation)?|round|seed|epoch|"
                              r"run|layer|hop|checkpoint|ckpt|premises?|#)\s*~?\s*|"
                              r"(?:transformers|trl|torch|pytorch|python|cuda|cudnn|vllm|datasets|accelerate|liger[\w-]*|"
                              r"numpy|jax|triton|peft|deepspeed|langgraph)\s*v?)$", re.I)  # "transformers 5.24": a version
CONFIDENCE_LEVEL = re.compile(r"\d+(?:\.\d+)?\s?%\s*(?:wilson\s+|wald\s+|bootstrap\s+)?(?:confidence|ci\b|credible|interval|"
                              r"conf\.)", re.I)
NOT_A_QUANTITY = re.compile(r"\d:\d|:\d\d|\d-\d\d-|\d{8}")
HARDWARE = re.compile(r"\s?(?:GB|GiB|MB|MiB|TB|GHz|W)\b|-?\s?param(?:eter)?s?\b")  # "80 GB", "700 W", "0.7M-parameter":
# a machine's or a model's spec, not a result
DURATION = re.compile(r"\s?(?:s|sec|secs|seconds|min|mins|minutes|ms|h|hours)\b")  # "done in 9.9 s": a log's timing
APPROX = re.compile(r"(?:~|≈|∼|\babout|\baround|\bapproximately|\broughly|\bnearly|\balmost|\bclose to|\bsome)\s*$", re.I)
SPAN_OVER = re.compile(r"\b(?:averaged|average|mean|taken|computed|measured|pooled|aggregated)\s+over\s*$", re.I)  # not "more than"
REPEATS = re.compile(r"\s+(?:random\s+|independent\s+|training\s+)?(?:seeds?|runs?|trials?|repeats?|repetitions?)\b", re.I)  # "std over 3 seeds"
LOWER = re.compile(r"(?:\bover|\bmore than|\babove|\bat least|\bexceed(?:s|ing)?|>=?|≥)\s*$", re.I)
UPPER = re.compile(r"(?:\bunder|\bless than|\bbelow|\bat most|<=?|≤)\s*$", re.I)
RELATIVE = re.compile(r"\brelative\s+(?:gain|improvement|increase|decrease|drop|change|reduction)\b[^.;%]{0,50}$", re.I)
# a threshold a rule asks for ("need >= 20 steps", "a minimum of 5"), not a result
REQUIREMENT = re.compile(r"\b(?:needs?|needed|requires?|required|minimum(?:\s+of)?|threshold(?:\s+of)?)\s*"
                         r"(?:>=?|≥|at\s+least|of)?\s*$", re.I)
COMPARED = re.compile(r"\s+(?:more|fewer)\b(?:\s+\w+)?\s+than\b", re.I)  # "10 more than SFT": a difference of counts
# "19.0 and 7.7 points": the unit written once after the second number is the first's too
SHARED_POINTS = re.compile(r"\s*(?:,|and|or|to|–)\s*[+]?\d[\d,]*(?:\.\d+)?\s*(?:percentage\s+)?(?:points?|pp)\b", re.I)
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
CITATION = re.compile(r"\[\d+(?:\s*[,–-]\s*\d+)*\]")
INTERVAL = re.compile(rf"\[\s*({_NUM})\s*%?\s*,\s*({_NUM})\s*%?\s*\]|(?:CI|interval)\s*[:=]?\s*\(?\s*({_NUM})\s*%?\s*[–-]\s*({_NUM})",
                      re.I)
MARK = "unverified"  # the LLM drafter's note beside a number it could not verify: "0.700 [unverified: ...]"
MARKED = re.compile(rf"\s*\[{MARK}:((?:[^\[\]]|\[[^\[\]]*\])*)\]")
SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\bet al)(?<!\bFig)(?<!\bEq)(?<!\bSec)(?<!\bTab)"
                          r"[.!?](?=\s+[A-Z(\[*_`\\$])")


def _float(raw: str) -> float:
    return float(raw.replace(",", "").replace("−", "-"))


def numbers(text: str) -> list[Claim]:
    """Claims in one piece of plain text (a sentence or a cell); `pos` is each number's offset in it."""
    masked = CITATION.sub(lambda m: " " * len(m.group(0)), text)
    marks = {m.start(): m for m in MARKED.finditer(masked)}
    for m in marks.values():  # the numbers inside a mark are the checker's, not the draft's claims
        masked = masked[:m.start()] + " " * len(m.group(0)) + masked[m.end():]
    roles = {}
    for m in INTERVAL.finditer(masked):
        lo, hi = (1, 2) if m.group(1) else (3, 4)
        roles[m.start(lo)], roles[m.start(hi)] = "ci_low", "ci_high"
    out = []
    for m in NUMBER.finditer(masked):
        start, end = m.start("num"), m.end()
        before = masked[max(0, start - 24):start].rstrip("$ ")
        after = masked[end:end + 2]
        if start and (masked[start - 1].isalpha() or masked[start - 1] in "_") or (
                after[:1].isalpha() and not m.group("suffix")) or (start > 0 and masked[start - 1] == "-" and
                                                                    start > 1 and masked[start - 2].isalnum()):
            continue  # part of a name or an identifier: Qwen3-8B, H100, x86, 0.6B, run-3
        if NON_CLAIM_BEFORE.search(before) or REQUIREMENT.search(before) or CONFIDENCE_LEVEL.match(masked[start:]) or \
                NOT_A_QUANTITY.search(masked[max(0, start - 1):end + 3]) or \
                DURATION.match(masked[end:]) and re.search(r"\bin\s*$", before) or HARDWARE.match(masked[end:]) or \
                re.match(r"-hops?\b", masked[end:]):  # "3-hop problems": which problems, not a result
            continue
        raw, suffix = m.group("num"), (m.group("suffix") or "").strip()
        value = _float(raw)
        exp = m.group("exp") or m.group("exp2")
        if not suffix and not exp and not m.group("frac") and re.fullmatch(r"\d{4}", raw) and 1900 <= value <= 2100:
            continue  # a year
        if not suffix and re.fullmatch(r"\d{1,2}", raw) and masked[start - 1:start] == "(" and masked[end:end + 1] == ")" \
                and (value < 10 or re.match(r"\)\s*[A-Za-z]", masked[end:])):
            continue  # an enumeration or a label: "(1)", "sample check (2)", "(12) the next item"; not "wrong indices (25)."
        decimals = len(raw.split(".")[1]) if "." in raw else 0
        kind = ("percent" if suffix == "%" else "ratio" if suffix in ("×", "x", "fold", "-fold") else
                "difference" if suffix.endswith(("point", "points", "pp")) or COMPARED.match(masked[end:])
                or not suffix and SHARED_POINTS.match(masked[end:]) else "number")
        if exp:
            value, decimals = value * 10 ** int(exp.replace("−", "-")), decimals - int(exp.replace("−", "-"))
        if suffix in ("K", "M"):  # 1.5K means 1,500 to the nearest 100
            scale = 3 if suffix == "K" else 6
            value, decimals = value * 10 ** scale, decimals - scale
        if kind == "percent" and RELATIVE.search(masked[max(0, start - 80):start]):
            kind = "difference"  # "the relative gain in trace validity is 4.7%": a change, not the rate
        claim = Claim("", 0, masked[m.start():end].strip(), value, kind, decimals, pos=start)
        if m.group("sign") and kind != "difference" and re.search(r"[+]", m.group("sign")):
            claim.kind = "difference"
        elif m.group("sign"):
            claim.value = -value if m.group("sign") in "-−" and not before.endswith(("(", "[")) else value
        if m.group("frac"):
            claim.k, claim.n = int(value), int(_float(m.group("den")))
            claim.kind, claim.value = "fraction", value / _float(m.group("den")) if _float(m.group("den")) else 0.0
        claim.role = roles.get(start, roles.get(m.start(), "value"))
        if re.search(r"(?:±|\+/-|\\pm)\s*$", before):
            claim.role = "pm"
        if end in marks:
            claim.extra["marked"] = marks[end].group(1).strip()
        if COMPARED.match(masked[end:]):
            claim.extra["loose_pair"] = True  # what it is "more than" is often a number the text does not write
        claim.approx = bool(APPROX.search(before))
        claim.bound = ">" if LOWER.search(before) and not SPAN_OVER.search(before) and not (
            re.search(r"\bover\s*$", before, re.I) and REPEATS.match(masked[end:])) else \
            "<" if UPPER.search(before) else ""
        out.append(claim)
    return out


def _located(claims: list[Claim], file: str, line: int, text: str, sentence: str, offset: int, **extra) -> list[Claim]:
    for c in claims:
        c.file, c.line, c.sentence = file, line + text[:offset + c.pos].count("\n"), sentence
        for k, v in extra.items():
            setattr(c, k, v)
    return claims


def _linked(text: str) -> tuple[str, list[tuple[int, int, str]]]:
    """The text with links replaced by their labels (same length) and the label spans with their targets."""
    spans = [(m.start(), m.start() + len(m.group(1)), m.group(2)) for m in LINK.finditer(text)]
    return LINK.sub(lambda m: m.group(1) + " " * (len(m.group(0)) - len(m.group(1))), text), spans


def prose(text: str, file: str, line: int, heading: str = "") -> list[Claim]:
    """Claims of a paragraph, sentence by sentence (soft line breaks are spaces)."""
    plain, spans = _linked(text)
    flat = plain.replace("\n", " ")
    out, start = [], 0
    ends = [m.end() for m in SENTENCE_END.finditer(flat)] + [len(flat)]
    for end in ends:
        sentence = flat[start:end]
        for c in _located(numbers(sentence), file, line, plain, sentence, start, heading=heading,
                          paragraph=flat[:end]):
            link = next((url for a, b, url in spans if a <= start + c.pos < b), None)
            c.link = link if link and "#" in link else None
            out.append(c)
        start = end
    return out


def cell(text: str, file: str, line: int, row: str, columns: list[str], caption: str, heading: str) -> list[Claim]:
    plain, spans = _linked(text)
    context = " | ".join([row, *columns, caption])
    claims = _located(numbers(plain), file, line, "", context, 0, heading=heading,
                      table={"row": row, "columns": columns, "caption": caption})
    for c in claims:
        link = next((url for a, b, url in spans if a <= c.pos < b), None)
        c.link = link if link and "#" in link else None
    return claims


# ---------------------------------------------------------------- Markdown

def extract_markdown(path: Path, text: str) -> list[Claim]:
    from markdown_it import MarkdownIt
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    claims: list[Claim] = []
    header: list[str] = []
    headers: list[str] = []  # the header with the caption's abbreviations spelled out
    row: list[tuple[str, int]] = []
    in_head, heading, caption, prev_caption, rows_of = False, "", "", False, ""
    table_rows: list[dict] = []
    for i, tok in enumerate(tokens):
        prev = tokens[i - 1].type if i else ""
        if tok.type == "thead_open":
            in_head, header, table_rows = True, [], []
        elif tok.type == "thead_close":
            caption = caption if prev_caption else _caption_after(tokens, i)
            rows_of, cols_of = grid_settings(header[0] if header else "")
            in_head, headers = False, [with_setting(cols_of, h) for h in with_abbreviations(header, caption)]
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "inline" and prev in ("th_open", "td_open"):
            if in_head:
                header.append(LINK.sub(r"\1", tok.content))
            else:
                row.append((tok.content, tok.map[0] + 1 if tok.map else tokens[i - 1].map[0] + 1))
        elif tok.type == "tr_close" and row and not in_head:
            texts = [LINK.sub(r"\1", c) for c, _ in row]
            k = leading_labels(texts)  # the leading cells name the row; other text cells add to it
            label = " ".join(with_setting(rows_of, t) if i == 0 else t for i, t in enumerate(texts) if i < k or not numbers(t))
            cells = {}
            for col, (content, line) in enumerate(row):
                if col >= k and numbers(texts[col]):
                    cells[col] = cell(content, str(path), line, label, [headers[col] if col < len(headers) else ""],
                                      caption, heading)
                    claims += cells[col]
            table_rows = table_deltas(table_rows, cells, header)
        elif tok.type == "inline" and tok.map and prev == "heading_open":
            heading = tok.content
        elif tok.type == "inline" and tok.map:
            prev_caption = bool(CAPTION.match(tok.content))
            if prev_caption:
                caption = tok.content  # "Table 2: ..." names what the next table holds
            claims += prose(tok.content, str(path), tok.map[0] + 1, heading)
        if tok.type == "table_close":
            prev_caption = False
    return claims


CAPTION = re.compile(r"\s*[*_]*(?:table|tab\.)\s*\d+", re.I)


def _caption_after(tokens, i: int) -> str:
    """The "Table N: ..." paragraph right after the table whose header closes at token i (captions below tables);
    "" when the next block is something else."""
    end = next((j for j in range(i, len(tokens)) if tokens[j].type == "table_close"), len(tokens))
    after = next((t for t in tokens[end + 1:] if t.type == "inline"), None)
    return after.content if after is not None and CAPTION.match(after.content) else ""


def extract(path: Path, text: str) -> list[Claim]:
    from .latex import extract_latex
    return extract_latex(path, text) if Path(path).suffix == ".tex" else extract_markdown(path, text)
