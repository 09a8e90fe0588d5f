"""The load and scan panels, driven from Python: buttons clicked, filters set, values typed."""

from __future__ import annotations

from pathlib import Path

from specpub_widgets import LoadPanel, ScanPanel

import specpub


def test_load_button_loads_and_flags_filter(tmp_path: Path, demo_collection) -> None:
    panel = LoadPanel(tmp_path / "ws", demo_collection.table, media=[demo_collection.masters])
    panel.load_button.click()
    assert panel.errors == []
    assert len(panel.specimens) == 10
    assert "Loaded 10 specimens" in panel.message
    all_flags = panel.filtered_flags()
    assert len(all_flags) == len(panel.specimens.flags) > 0
    panel.severity_filter.value = "error"
    errors = panel.filtered_flags()
    assert set(errors["severity"]) == {"error"}
    assert "CATALOG_NUMBER_MISSING" in panel._flags_table.value
    panel.severity_filter.value = "(all)"
    panel.search.value = "eventDate"
    assert set(panel.filtered_flags()["column"]) <= {"eventDate", "verbatimEventDate"}
    # The saved workspace is what the command line would have written.
    assert (
        specpub.Workspace.open(tmp_path / "ws")
        .stage_dir("specimens")
        .joinpath("flags.csv")
        .is_file()
    )


def test_flags_page_through(tmp_path: Path, demo_collection) -> None:
    panel = LoadPanel(tmp_path / "ws", demo_collection.table, page_size=2)
    panel.load_button.click()
    total = len(panel.filtered_flags())
    assert total > 2
    assert panel.pager.prev_button.disabled
    assert not panel.pager.next_button.disabled
    panel.pager.next_button.click()
    assert panel.pager.page == 1
    assert "page 2 of" in panel.pager.label.value
    for _ in range(total):
        panel.pager.next_button.click()
    assert panel.pager.next_button.disabled


def test_mapping_edit_reloads_with_the_new_term(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("Inv,Taxon\nBR1,Quercus robur\nBR2,Fagus sylvatica\n")
    panel = LoadPanel(tmp_path / "ws", table)
    panel.load_button.click()  # no catalogue-number column: specpub says so, in the panel
    assert panel.specimens is None
    assert "catalog" in panel.message.lower()
    assert panel.tabs.selected_index == 1  # the mapping tab, where the fix goes
    panel._toml.value = '"Inv" = "catalogNumber"'  # typed, as for `specpub load --mapping`
    panel.load_button.click()
    assert panel.specimens.frame["catalogNumber"].tolist() == ["BR1", "BR2"]
    panel.set_mapping("Taxon", "scientificName")
    assert panel._toml.value == '"Inv" = "catalogNumber"\n"Taxon" = "scientificName"\n'
    panel.reload_button.click()
    assert "scientificName" in panel.specimens.frame.columns
    assert len(panel.errors) == 1  # only the first, expected, error
    assert panel.specimens.frame["catalogNumber"].tolist() == ["BR1", "BR2"]
    # the editor offers the terms of the public API, the ones a mapping may name
    row = panel._mapping_box.children[0]
    assert list(row.children[1].options) == list(specpub.terms())
    assert {"catalogNumber", "scientificName", "license"} <= set(row.children[1].options)
    # a term that does not exist is refused in the panel, with a message
    row.children[1].value = "notATerm"
    assert "not a Darwin Core term" in panel.message


def test_a_missing_table_is_a_message_not_a_crash(tmp_path: Path) -> None:
    panel = LoadPanel(tmp_path / "ws", tmp_path / "nowhere.csv")
    panel.load_button.click()
    assert panel.errors
    assert "InputError" in panel._message.value


def test_scan_button_runs_in_the_background(loaded_workspace: Path) -> None:
    panel = ScanPanel(loaded_workspace, workers=0)
    panel.scan_button.click()
    manifest = panel.wait(120)
    assert panel.errors == []
    summary = manifest.summary()
    assert summary["files"] == panel.progress.n > 0
    assert summary["errors"] == 0
    assert panel.progress.bar.bar_style == "success"
    assert "Scanned" in panel.message
    assert panel._gallery.value.count("<figure") == min(summary["files"], panel.pager.page_size)
    if summary["files"] > panel.pager.page_size:
        panel.pager.next_button.click()
        assert "page 2 of" in panel.pager.label.value


def test_an_unreadable_image_is_a_finding(tmp_path: Path) -> None:
    folder = tmp_path / "img"
    folder.mkdir()
    (folder / "BR1.tif").write_bytes(b"II*\x00" + b"\x00" * 10)  # a truncated TIFF
    panel = ScanPanel(tmp_path / "ws", paths=[folder], workers=0)
    panel.scan()
    assert panel.errors == []
    summary = panel.manifest.summary()
    assert summary["errors"] + summary["findings_by_severity"].get("fail", 0) >= 1
    assert "cannot be read" in panel._gallery.value
    panel.severity_filter.value = "fail"
    assert "BR1.tif" in panel._findings.value


def test_validation_filters_by_rule_and_severity(tmp_path: Path, demo_collection) -> None:
    from specpub_widgets import ValidationPanel

    ws = tmp_path / "ws"
    specpub.load(ws, demo_collection.table, media=[demo_collection.access], progress=None)
    panel = ValidationPanel(ws, page_size=3)
    panel.validate_button.click()
    report = panel.wait(120)
    assert panel.errors == []
    everything = panel.filtered_findings()
    assert len(everything) == len(report.findings_frame()) > 0
    rule = panel.rule_filter.options[1]
    panel.rule_filter.value = rule
    assert set(panel.filtered_findings()["rule"].fillna("")) <= {rule, ""}
    panel.rule_filter.value = "(all)"
    severity = panel.severity_filter.options[1]
    panel.severity_filter.value = severity
    assert set(panel.filtered_findings()["severity"]) == {severity}
    assert "Verdicts" in panel._verdicts.value
    # another profile is one choice away
    panel.profile_choice.value = "structure"
    panel.validate_button.click()
    panel.wait(120)
    assert set(panel.report.summary()["profiles"]) <= {"structure", "access"}


def test_preview_pages_through_records_payloads_and_checks(loaded_workspace: Path) -> None:
    from specpub_widgets import PreviewPanel

    panel = PreviewPanel(loaded_workspace)
    panel.build_button.click()
    assert panel.errors == []
    records = panel.records
    assert len(records) > 1
    assert panel.current is records.built[0]
    assert records.built[0].title in panel._record.value or "&" in panel._record.value
    panel.pager.next_button.click()
    assert panel.current is records.built[1]
    assert "&quot;metadata&quot;" in panel._payload.value  # legacy payload
    panel.api_choice.value = "native"
    assert "&quot;metadata&quot;" in panel._payload.value
    assert panel._gallery.value.count("<figure") == min(len(records), 12)
    panel.preset_choice.value = "icedig-benchmark"
    panel.build_button.click()
    assert panel.records.preset == "icedig-benchmark"
    panel.write_button.click()
    assert panel.preview_result.index.is_file()
    assert "Wrote the preview" in panel.message
