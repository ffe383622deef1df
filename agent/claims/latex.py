"""LaTeX drafts: the reader's text of its markup, prose by paragraph under its section heading, and every tabular
with its multi-row (and \\multicolumn) headers, \\multirow groups and caption."""
from __future__ import annotations

import re
from pathlib import Path

from .extraction import Claim, cell, numbers, prose
from .tables import grid_settings, leading_labels, table_deltas, with_abbreviations, with_setting


def latex_to_text(s: str) -> str:
    """LaTeX markup to the plain text a reader sees (numbers, ×, ±, % kept; commands dropped)."""
    s = re.sub(r"(?<!\\)%.*", "", s)
    s = re.sub(r"\\(?:cite[tp]?|ref|eqref|autoref|cref|Cref|label|url|footnote)\*?(?:\[[^\]]*\])?\{[^}]*\}", " ", s)
    s = re.sub(r"\\(?:SI|qty)\{([^}]*)\}\{\\percent\}", r"\1%", s)  # siunitx: \SI{41.1}{\percent} is 41.1%
    s = re.sub(r"\\(?:SI|qty)\{([^}]*)\}\{([^}]*)\}", lambda m: f"{m.group(1)} {m.group(2).replace(chr(92), ' ')}", s)
    s = re.sub(r"\\num\{([^}]*)\}", r"\1", s)
    s = re.sub(r"\\times\s*10\^\{?([-+−]?\d+)\}?", r"e\1", s)
    s = re.sub(r"(?<![\d.e])10\^\{?([-+−]?\d+)\}?", r"1e\1", s)  # $10^{-6}$ alone
    s = re.sub(r"\s*\\times\b|\s*\\texttimes\b", "×", s)
    s = re.sub(r"\\[ @/]", " ", s)  # control space, \@, italic correction
    s = s.replace("\\pm", "±").replace("\\%", "%").replace("\\,", " ").replace("~", " ").replace("\\&", "&")
    s = re.sub(r"\\(?:approx|sim)\b", "≈", s)
    s = re.sub(r"\\(?:rightarrow|to|longrightarrow)\b", "→", s)
    s = re.sub(r"\\(?:beta)\b", "β", s)
    s = re.sub(r"\\Delta\b", "Δ", s)
    s = re.sub(r"\{\\(?:bf|it|em|tt)\s+([^}]*)\}", r"\1", s)
    for _ in range(3):
        s = re.sub(r"\\[a-zA-Z]+\*?(?:\[[^\]]*\])?\{([^{}]*)\}", r"\1", s)  # \textbf{x} -> x
    s = re.sub(r"\\[a-zA-Z]+\*?", " ", s).replace("$", "").replace("{", "").replace("}", "")
    return s


def _tabular_rows(body: str) -> list[list[str]]:
    """Rows of a tabular, each a list of cells with \\multicolumn spans expanded (the text repeated)."""
    rows = []
    for raw in re.split(r"\\\\", body):
        raw = re.sub(RULE, " ", raw)
        if not raw.strip():
            continue
        cells = []
        for c in re.split(r"(?<!\\)&", raw):
            m = re.search(r"\\multicolumn\{(\d+)\}\{[^}]*\}\{(.*)\}\s*$", c.strip(), re.S)
            span, c = (int(m.group(1)), m.group(2)) if m else (1, c)
            c = re.sub(r"\\multirow\{[^}]*\}\{[^}]*\}\{(.*)\}", r"\1", c.strip(), flags=re.S)
            cells += [c.strip()] * span
        rows.append(cells)
    return rows


RULE = r"\\(?:toprule|midrule|bottomrule|hline|cline\{[^}]*\}|cmidrule(?:\([^)]*\))?\{[^}]*\})"


def _split_header(body: str) -> tuple[str, str]:
    """(header rows, body rows) of a tabular: the header ends at the first \\midrule (or the first \\hline after
    some content); without either, the first row is the header."""
    m = re.search(r"\\midrule", body)
    if not m:
        m = next((h for h in re.finditer(r"\\hline", body) if re.sub(RULE, "", body[:h.start()]).strip()), None)
    if m:
        return body[:m.start()], body[m.end():]
    first = body.find("\\\\")
    return (body[:first], body[first + 2:]) if first >= 0 else ("", body)


def extract_latex(path: Path, text: str) -> list[Claim]:
    claims: list[Claim] = []
    heading = ""
    table = re.compile(r"\\begin\{(table\*?|tabular\*?)\}.*?\\end\{\1\}", re.S)
    pos = 0
    for m in list(table.finditer(text)) + [None]:
        chunk_end = m.start() if m else len(text)
        chunk = text[pos:chunk_end]
        base_line = text[:pos].count("\n") + 1
        for para in re.finditer(r"(?:[^\n]|\n(?!\s*\n))+", chunk):
            raw = para.group(0)
            h = re.search(r"\\(?:sub)*section\*?\{([^}]*)\}", raw)
            if h:
                heading = h.group(1)
            if raw.lstrip().startswith("\\begin{") or raw.lstrip().startswith("\\end{"):
                raw = re.sub(r"\\(?:begin|end)\{[^}]*\}", " ", raw)
            line = base_line + chunk[:para.start()].count("\n")
            body = re.sub(r"\\(?:sub)*section\*?\{[^}]*\}", " ", raw)
            claims += _prose_latex(body, str(path), line, heading)
        if m:
            claims += _table_latex(m.group(0), str(path), text[:m.start()].count("\n") + 1, heading)
            pos = m.end()
    return claims


def _prose_latex(raw: str, file: str, line: int, heading: str) -> list[Claim]:
    """LaTeX prose line by line into plain text, keeping each line's number for the claims."""
    lines = raw.split("\n")
    plain = "\n".join(latex_to_text(x) for x in lines)
    return prose(plain, file, line, heading)


def _table_latex(block: str, file: str, line: int, heading: str) -> list[Claim]:
    cap = re.search(r"\\caption\{((?:[^{}]|\{[^{}]*\})*)\}", block)
    caption = latex_to_text(cap.group(1)) if cap else ""
    tab = re.search(r"\\begin\{tabular\*?\}(?:\{[^}]*\})*(.*?)\\end\{tabular\*?\}", block, re.S)
    if not tab:
        return []
    body_start = block[:tab.start(1)].count("\n")
    head, rest = _split_header(tab.group(1))
    header_rows, body = _tabular_rows(head), _tabular_rows(rest)
    width = max((len(r) for r in header_rows + body), default=0)
    columns = [with_abbreviations([latex_to_text(h[c]).strip() for h in header_rows if c < len(h) and h[c].strip()],
                                  caption) for c in range(width)]
    claims, group, rows = [], "", []
    raw_lines = tab.group(1).split("\n")
    rows_of, cols_of = grid_settings(" ".join(columns[0]) if columns else "")
    columns = [[with_setting(cols_of, h) for h in c] for c in columns]
    header = [" ".join(c) for c in columns]
    for r in body:
        texts = [latex_to_text(c).strip() for c in r]
        texts[:1] = [with_setting(rows_of, t) for t in texts[:1]]
        k = leading_labels(texts)
        group = texts[0] or group  # an empty first cell continues a \multirow label (the dataset), not the row above
        label = " ".join([group] + [t for i, t in enumerate(texts) if t and 0 < i and (i < k or not numbers(t))])
        where = next((i for i, x in enumerate(raw_lines) if r[-1].strip() and r[-1].strip() in x), 0)
        cells = {}
        for col, content in enumerate(texts):
            if col >= k and content and numbers(content):
                cells[col] = cell(content, file, line + body_start + where, label,
                                  columns[col] if col < len(columns) else [], caption, heading)
                claims += cells[col]
        rows = table_deltas(rows, cells, header)
    return claims
