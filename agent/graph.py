"""The agent's LangGraph graph, wired in one place.

plan -> gate_plan -> (data -> SFT -> sample -> check -> pairs -> DPO -> evaluate -> compare -> paper -> claims,
as the plan lists them) -> finish. After every node one router picks the next: a failure goes to the
failure gate, a step that needs a decision to its gate, otherwise the plan's next step."""
from __future__ import annotations

import hashlib
import operator
import sqlite3
from pathlib import Path
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph

from sokrates.io import DataError

from . import nodes


class AgentState(TypedDict, total=False):
    session: str
    goal: str
    workspace: str
    run_id: str
    graph_version: str
    llm: dict                     # {"base_url", "model"}; never a key
    base_config: dict             # LoopConfig for a new run (from --config), as a dict
    overrides: dict               # dotted settings for a new run
    plan: list[dict]              # [{"step": "sample", "iteration": 1}, ...]
    plan_notes: list[str]
    plan_source: str
    plan_readings: dict
    cursor: int                   # index of the next plan step
    results: dict                 # "step:iteration" -> figures of that step
    gate: dict | None             # the decision a step asked for
    failure: dict | None
    attempts: dict
    tried: dict
    decisions: Annotated[list[dict], operator.add]
    status: str                   # running | done | stopped | aborted


STEP_NODES = {"data": nodes.data, "sft": nodes.sft, "sample": nodes.sample, "check": nodes.check,
              "pairs": nodes.pairs, "dpo": nodes.dpo, "eval": nodes.evaluate, "compare": nodes.compare,
              "paper": nodes.paper, "claims": nodes.claims, "answer": nodes.answer}
GATE_NODES = {"gate_plan": nodes.gate_plan, "gate_data": nodes.gate_data, "gate_sample": nodes.gate_sample,
              "gate_pairs": nodes.gate_pairs, "gate_eval": nodes.gate_eval, "gate_claims": nodes.gate_claims,
              "gate_failure": nodes.gate_failure}


def route(state: AgentState) -> str:
    if state.get("status") in ("aborted", "stopped"):
        return "finish"
    if state.get("failure"):
        return "gate_failure"
    if state.get("gate"):
        return f"gate_{state['gate']['name']}"
    if state["cursor"] >= len(state["plan"]):
        return "finish"
    return state["plan"][state["cursor"]]["step"]


def build(checkpointer=None):
    g = StateGraph(AgentState)
    g.add_node("plan", nodes.plan)
    for name, fn in {**STEP_NODES, **GATE_NODES}.items():
        g.add_node(name, fn)
    g.add_node("finish", nodes.finish)
    g.add_edge(START, "plan")
    g.add_edge("plan", "gate_plan")
    targets = {n: n for n in [*STEP_NODES, *GATE_NODES, "finish"]}
    for name in [*STEP_NODES, *GATE_NODES]:
        g.add_conditional_edges(name, route, targets)
    g.add_edge("finish", END)
    return g.compile(checkpointer=checkpointer)


def version() -> str:
    """Changes whenever nodes or edges change: a stored session from another graph is refused."""
    drawn = build().get_graph()
    shape = sorted(drawn.nodes) + sorted(f"{e.source}->{e.target}" for e in drawn.edges)
    return hashlib.sha256("\n".join(shape).encode()).hexdigest()[:12]


def mermaid() -> str:
    return build().get_graph().draw_mermaid()


# ---------------------------------------------------------------- persistence

def db_path(workspace: Path) -> Path:
    return Path(workspace) / ".sokrates" / "agent.sqlite"


def checkpointer(workspace: Path):
    from langgraph.checkpoint.sqlite import SqliteSaver
    path = db_path(workspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)  # another session may hold the lock briefly
    saver = SqliteSaver(conn)
    try:
        saver.setup()
        conn.execute("SELECT count(*) FROM checkpoints").fetchone()
    except sqlite3.DatabaseError as err:
        conn.close()
        raise DataError(f"{path}: the agent's session database is damaged ({err}). Fix: move it aside "
                        f"(mv {path} {path}.bak) and start a new session; runs/ and the session logs are intact, and "
                        "finished steps are skipped through their manifests.") from None
    return saver


def prune(saver, thread_id: str, keep: int = 3) -> int:
    """Delete all but the newest `keep` checkpoints of a thread (ids sort by time). Returns how many went."""
    conn = saver.conn
    with conn:
        rows = conn.execute("SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? ORDER BY checkpoint_id DESC",
                            (thread_id,)).fetchall()
        old = [r[0] for r in rows[keep:]]
        for cid in old:
            conn.execute("DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id = ?", (thread_id, cid))
            conn.execute("DELETE FROM writes WHERE thread_id = ? AND checkpoint_id = ?", (thread_id, cid))
    return len(old)


def threads(saver) -> list[str]:
    rows = saver.conn.execute("SELECT thread_id, MAX(checkpoint_id) FROM checkpoints GROUP BY thread_id "
                              "ORDER BY MAX(checkpoint_id)").fetchall()
    return [r[0] for r in rows]
