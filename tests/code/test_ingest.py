"""Each kind of bad input becomes a problem record naming the document; good input becomes documents."""

import json
from pathlib import Path

import pandas as pd

from train.scoring.ingest import Document, Problem, html_to_text, looks_english, read_documents

ARTICLE = "The army abandoned the city. Thousands of families fled on foot."


def read(*paths: Path, max_chars: int = 1_000_000):
    return list(read_documents(list(paths), max_chars))


def only(records):
    assert len(records) == 1
    return records[0]


def test_text_markdown_and_folders(tmp_path):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("# Title\n\n" + ARTICLE, encoding="utf-8")
    (tmp_path / "ignored.bin").write_bytes(b"x")
    records = read(tmp_path)
    assert [type(r) for r in records] == [Document, Document]
    assert [Path(r.id).name for r in records] == ["a.txt", "b.md"]


def test_empty_file(tmp_path):
    (tmp_path / "e.txt").write_text("  \n", encoding="utf-8")
    record = only(read(tmp_path / "e.txt"))
    assert isinstance(record, Problem) and record.reason == "empty file"


def test_binary_file(tmp_path):
    (tmp_path / "b.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert "binary file" in only(read(tmp_path / "b.txt")).reason


def test_legacy_encoding_is_detected(tmp_path):
    (tmp_path / "l.txt").write_bytes(("Les réfugiés ont fui la ville. " * 20).encode("cp1252"))
    record = only(read(tmp_path / "l.txt"))
    assert isinstance(record, Document) and "réfugiés" in record.text


def test_undecodable_bytes_are_reported(tmp_path):
    (tmp_path / "u.txt").write_bytes(bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D, 0xC3, 0x28, 0xFF, 0xFE, 0xA0]) * 40)
    record = only(read(tmp_path / "u.txt"))
    assert isinstance(record, Problem) and ("undecodable" in record.reason or "binary" in record.reason)


def test_size_limit(tmp_path):
    (tmp_path / "big.txt").write_text(ARTICLE * 100, encoding="utf-8")
    record = only(read(tmp_path / "big.txt", max_chars=500))
    assert isinstance(record, Problem) and "over the limit of 500" in record.reason


def test_html_drops_scripts_and_navigation(tmp_path):
    page = ("<html><head><script>alert('x')</script><style>p {color: red}</style></head><body>"
            "<nav><a href='/'>Home</a><a href='/w'>World</a></nav><header>Site name</header>"
            "<article><h1>Militants seize city</h1><p>The army abandoned the city.</p>"
            "<script>track()</script><p>Families fled on foot.</p></article>"
            "<aside>Most read</aside><footer>Copyright</footer></body></html>")
    (tmp_path / "p.html").write_text(page, encoding="utf-8")
    text = only(read(tmp_path / "p.html")).text
    assert text == "Militants seize city\n\nThe army abandoned the city.\n\nFamilies fled on foot."


def test_html_of_nothing_but_scripts_is_a_problem(tmp_path):
    (tmp_path / "s.html").write_text("<html><script>var a = 1;</script><nav>Home</nav></html>", encoding="utf-8")
    assert only(read(tmp_path / "s.html")).reason == "no text to score"


def test_jsonl_bad_line_names_file_and_line(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"id": "a", "text": ARTICLE}) + "\n{not json\n" + json.dumps({"text": ARTICLE}) + "\n")
    records = read(path)
    assert isinstance(records[0], Document) and records[0].id == "a"
    assert isinstance(records[1], Problem) and records[1].id == f"{path}:2"
    assert "not valid JSON" in records[1].reason and str(path) not in records[1].reason  # file:line said once
    assert records[2].level == "warning" and records[2].id == f"{path}:3" and "no id" in records[2].reason
    assert isinstance(records[3], Document) and records[3].id == f"{path}:3"


def test_csv_without_text_column(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"body": [ARTICLE]}).to_csv(path, index=False)
    record = only(read(path))
    assert isinstance(record, Problem) and "no 'text' column" in record.reason


def test_csv_and_parquet_rows(tmp_path):
    pd.DataFrame({"id": ["x", "y"], "text": [ARTICLE, ARTICLE]}).to_csv(tmp_path / "t.csv", index=False)
    pd.DataFrame({"text": [ARTICLE]}).to_parquet(tmp_path / "t.parquet")
    records = read(tmp_path / "t.csv", tmp_path / "t.parquet")
    assert [r.id for r in records if isinstance(r, Document)] == ["x", "y", f"{tmp_path / 't.parquet'}:row 0"]
    assert [r.level for r in records if isinstance(r, Problem)] == ["warning"]  # the Parquet file has no id column


def test_duplicate_ids_keep_the_first(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps({"id": "same", "text": t}) for t in (ARTICLE, "Second text here.")) + "\n")
    first, second = read(path)
    assert isinstance(first, Document) and first.text == ARTICLE
    assert isinstance(second, Problem) and "duplicate id 'same'" in second.reason


def test_missing_and_unsupported_paths(tmp_path):
    (tmp_path / "x.docx").write_bytes(b"PK")
    missing, unsupported = read(tmp_path / "nope.txt", tmp_path / "x.docx")
    assert "no such file" in missing.reason and "unsupported file type '.docx'" in unsupported.reason


def test_language_flag():
    assert looks_english(ARTICLE * 3)
    assert not looks_english("Le gouvernement a perdu le contrôle de la ville et les familles ont fui vers le sud "
                             "pendant la nuit sans eau ni nourriture, selon les habitants.")
    assert not looks_english("الجيش انسحب من المدينة وفرت آلاف العائلات سيرا على الأقدام نحو المخيمات في الجنوب " * 2)
    assert looks_english("Too short to tell.")


def test_html_to_text_without_article_tag():
    assert html_to_text("<body><p>One.</p><p>Two.</p></body>") == "One.\n\nTwo."


def test_symlinks_that_cannot_be_read_are_error_records(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "dangling.txt").symlink_to(folder / "gone.txt")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to(folder, target_is_directory=True)  # a folder loop
    records = read(folder)
    reasons = {Path(r.id).name: r.reason for r in records if isinstance(r, Problem)}
    assert [Path(r.id).name for r in records if isinstance(r, Document)] == ["a.txt"]
    assert "dangling" in reasons["dangling.txt"] and "loop" in reasons["loop.txt"] and "loop" in reasons["up"]


def test_a_symlink_outside_the_input_folder_is_followed_only_when_asked(tmp_path):
    outside = tmp_path / "elsewhere.txt"
    outside.write_text(ARTICLE, encoding="utf-8")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "link.txt").symlink_to(outside)
    (folder / "inside.txt").symlink_to(folder / "real.txt")
    (folder / "real.txt").write_text(ARTICLE + " More.", encoding="utf-8")
    records = read(folder)
    problem = next(r for r in records if isinstance(r, Problem))
    assert "outside the input folder" in problem.reason and "--follow-symlinks" in problem.reason
    assert sorted(Path(r.id).name for r in records if isinstance(r, Document)) == ["inside.txt", "real.txt"]
    followed = list(read_documents([folder], follow_symlinks=True))
    assert sorted(Path(r.id).name for r in followed if isinstance(r, Document)) == ["inside.txt", "link.txt",
                                                                                   "real.txt"]


def test_rows_without_an_id_get_a_warning_naming_the_substitute(tmp_path):
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text(json.dumps({"text": ARTICLE}) + "\n" + json.dumps({"id": None, "text": ARTICLE}) + "\n"
                     + json.dumps({"id": "k", "text": ARTICLE}) + "\n", encoding="utf-8")
    records = read(jsonl)
    warnings = [r for r in records if isinstance(r, Problem)]
    assert [w.level for w in warnings] == ["warning", "warning"]
    assert [w.id for w in warnings] == [f"{jsonl}:1", f"{jsonl}:2"] and "no id" in warnings[0].reason
    assert [r.id for r in records if isinstance(r, Document)] == [f"{jsonl}:1", f"{jsonl}:2", "k"]
    parquet = tmp_path / "t.parquet"
    pd.DataFrame({"id": ["a", float("nan")], "text": [ARTICLE, ARTICLE]}).to_parquet(parquet)
    nan_row = [r for r in read(parquet) if isinstance(r, Problem)]
    assert len(nan_row) == 1 and nan_row[0].id == f"{parquet}:row 1"
    no_column = tmp_path / "n.csv"
    pd.DataFrame({"text": [ARTICLE, ARTICLE]}).to_csv(no_column, index=False)
    once = [r for r in read(no_column) if isinstance(r, Problem)]
    assert len(once) == 1 and "no 'id' column" in once[0].reason and once[0].level == "warning"


def test_ids_are_paths_inside_the_input_folder_and_source_names_the_file(tmp_path):
    for folder in ("one", "two"):
        (tmp_path / folder / "sub").mkdir(parents=True)
        (tmp_path / folder / "sub" / "a.txt").write_text(ARTICLE, encoding="utf-8")
    single = read(tmp_path / "one")
    assert [r.id for r in single] == ["sub/a.txt"] and single[0].source == str(tmp_path / "one" / "sub" / "a.txt")
    both = read(tmp_path / "one", tmp_path / "two")  # the same relative path in two folders: no clash
    assert [r.id for r in both] == ["one/sub/a.txt", "two/sub/a.txt"]
    assert [type(r) for r in both] == [Document, Document]
    direct = read(tmp_path / "one" / "sub" / "a.txt")
    assert direct[0].id == str(tmp_path / "one" / "sub" / "a.txt")
