"""Media linking: the default prefix rule, roles, rules, reports, scale-safe walking."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from specpub.errors import InputError
from specpub.specimens import (
    ColumnRule,
    MediaLinks,
    MultimediaRule,
    PrefixRule,
    RegexRule,
    Specimens,
    link_media,
    load_specimens,
)
from specpub.specimens.linking import guess_role
from specpub.workspace import Workspace

from ._archives import AC_ACCESS_URI, AC_MULTIMEDIA, write_media_dwca


def specimens(*numbers: str, **columns: list[str]) -> Specimens:
    frame = pd.DataFrame({"catalogNumber": list(numbers), **columns})
    frame["_row"] = range(2, len(frame) + 2)
    frame["_source"] = "t.csv"
    return Specimens(frame, mapping=pd.DataFrame(), flags=pd.DataFrame())


def touch(folder: Path, *names: str) -> None:
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")


def linked(links: MediaLinks) -> dict[str, list[str]]:
    return links.links.groupby("catalogNumber")["name"].apply(sorted).to_dict()


def test_prefix_rule_real_world_names(tmp_path):
    touch(
        tmp_path,
        "B 10 0250963.jpg",
        "B100250963_lab.JPG",
        "l.2180891.tif",
        "L 2180891-2.jpg",
        "L  0329805.jpg",
        "BR0000013.jpg",
        "BR0000013_all.png",
        "BR0000013_sel.png",
        "BR00000130.jpg",
        "sub/deeper/BR0000013V.tiff",
        "TU278158_lab.jpg",
    )
    sp = specimens("B 10 0250963", "L.2180891", "L  0329805", "BR0000013", "BR0000013V", "TU278158")
    links = link_media(sp, [tmp_path], progress=None)
    assert linked(links) == {
        "B 10 0250963": ["B 10 0250963.jpg", "B100250963_lab.JPG"],
        "L.2180891": ["L 2180891-2.jpg", "l.2180891.tif"],
        "L  0329805": ["L  0329805.jpg"],
        "BR0000013": ["BR0000013.jpg", "BR0000013_all.png", "BR0000013_sel.png"],
        "BR0000013V": ["BR0000013V.tiff"],
        "TU278158": ["TU278158_lab.jpg"],
    }
    assert links.unlinked_files["name"].tolist() == ["BR00000130.jpg"]
    assert links.unlinked_specimens.empty
    roles = dict(zip(links.links["name"], links.links["role"], strict=True))
    assert roles["B 10 0250963.jpg"] == "access"
    assert roles["B100250963_lab.JPG"] == "label"
    assert roles["l.2180891.tif"] == "master"
    assert roles["BR0000013_all.png"] == "segmentation"
    assert roles["L 2180891-2.jpg"] == "access"
    suffix = dict(zip(links.links["name"], links.links["suffix"], strict=True))
    assert suffix["L 2180891-2.jpg"] == "-2"
    assert set(links.links["rule"]) == {"prefix"}
    assert links.links["_row"].tolist() == sorted(links.links["_row"].tolist())


def test_longest_catalogue_number_wins_and_shadowing_is_recorded(tmp_path):
    touch(tmp_path, "A-1.jpg", "A-1-2.jpg", "A.jpg")
    links = link_media(specimens("A", "A-1"), [tmp_path], progress=None)
    assert linked(links) == {"A": ["A.jpg"], "A-1": ["A-1-2.jpg", "A-1.jpg"]}
    also = dict(zip(links.links["name"], links.links["also_matches"], strict=True))
    assert also["A-1.jpg"] == "A"
    assert also["A.jpg"] == ""


def test_ambiguous_and_unlinked_are_reported(tmp_path):
    touch(
        tmp_path,
        "BR 001.jpg",
        "zzz.jpg",
        "notes.txt",
        ".hidden.jpg",
        "._BR2.jpg",
        "__MACOSX/BR2.jpg",
    )
    sp = specimens("BR 001", "BR.001", "BR2")
    links = link_media(sp, [tmp_path], progress=None)
    assert links.links.empty
    assert links.ambiguous["name"].tolist() == ["BR 001.jpg"]
    assert links.ambiguous["candidates"].iloc[0] == "BR 001 | BR.001"
    assert links.ambiguous["rows"].iloc[0] == "2, 3"
    assert links.unlinked_files["name"].tolist() == ["zzz.jpg"]
    assert links.unlinked_specimens["catalogNumber"].tolist() == ["BR 001", "BR.001", "BR2"]
    s = links.summary()
    assert s["non_media_files_skipped"] == 1
    assert s["media_files"] == 2
    assert s["ambiguous_files"] == 1


def test_several_folders_and_all_extensions(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    touch(a, "X1.jpg")
    touch(b, "X1.json", "X2.tif")
    links = link_media(specimens("X1", "X2"), [a, b], extensions=None, progress=None)
    assert linked(links) == {"X1": ["X1.jpg", "X1.json"], "X2": ["X2.tif"]}
    assert dict(zip(links.links["name"], links.links["role"], strict=True))["X1.json"] == "other"


def test_regex_rule(tmp_path):
    touch(tmp_path, "scan_0001_front.jpg", "scan_0002_back.jpg", "0001.jpg")
    rule = RegexRule(r"^scan_(?P<catalog>\d+)_")
    links = link_media(specimens("0001", "0002"), [tmp_path], rules=[rule], progress=None)
    assert linked(links) == {"0001": ["scan_0001_front.jpg"], "0002": ["scan_0002_back.jpg"]}
    assert links.unlinked_files["name"].tolist() == ["0001.jpg"]
    both = link_media(
        specimens("0001", "0002"), [tmp_path], rules=[rule, PrefixRule()], progress=None
    )
    assert len(both.links) == 3
    with pytest.raises(InputError, match="named group 'catalog'"):
        link_media(specimens("1"), [tmp_path], rules=[RegexRule(r"(\d+)")], progress=None)
    with pytest.raises(InputError, match="not a valid regular expression"):
        link_media(specimens("1"), [tmp_path], rules=[RegexRule(r"(?P<catalog>")], progress=None)


def test_column_rule(tmp_path):
    touch(tmp_path, "img/IMG_4411.JPG", "img/IMG_4412.jpg", "img/IMG_9999.jpg")
    sp = specimens("A1", "A2", files=["IMG_4411.jpg | C:\\scans\\IMG_4412.jpg", ""])
    links = link_media(sp, [tmp_path], rules=[ColumnRule("files")], progress=None)
    assert linked(links) == {"A1": ["IMG_4411.JPG", "IMG_4412.jpg"]}
    assert links.unlinked_files["name"].tolist() == ["IMG_9999.jpg"]
    with pytest.raises(InputError, match="not in the table"):
        link_media(sp, [tmp_path], rules=[ColumnRule("nope")], progress=None)


def test_multimedia_rule_links_local_and_online_media(tmp_path):
    archive = write_media_dwca(
        tmp_path / "a.zip",
        "id,catalogNumber\nu1,8528\nu2,8512\nu3,9000\n",
        "id,accessURI\nu1,https://x.org/media/sheet%20one.jpg\nu2,https://x.org/get.php?id=5\n",
        location="ac.csv",
        row_type=AC_MULTIMEDIA,
        term=AC_ACCESS_URI,
    )
    media = tmp_path / "media"
    touch(media, "sheet one.jpg", "9000.jpg")
    sp = load_specimens(archive, progress=None)
    links = link_media(sp, [media], progress=None)
    rows = links.links.set_index("catalogNumber")
    assert rows.loc["8528", "name"] == "sheet one.jpg"
    assert rows.loc["8528", "rule"] == "multimedia"
    assert rows.loc["8512", "path"] == ""
    assert rows.loc["8512", "url"] == "https://x.org/get.php?id=5"
    assert rows.loc["9000", "rule"] == "prefix"
    s = links.summary()
    assert (s["files_linked"], s["online_media_linked"]) == (2, 1)
    with pytest.raises(InputError, match="no multimedia extension"):
        link_media(specimens("1"), [], rules=[MultimediaRule()], progress=None)


def test_missing_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="media folder does not exist") as err:
        link_media(specimens("A"), [tmp_path / "nope"], progress=None)
    assert "nope" in str(err.value)


def test_save_load_round_trip(tmp_path):
    touch(tmp_path / "m", "A1.jpg", "A1_lab.jpg", "stray.jpg")
    links = link_media(specimens("A1", "A2"), [tmp_path / "m"], progress=None)
    ws = Workspace.create(tmp_path / "ws")
    links.save(ws)
    back = MediaLinks.load(ws)
    pd.testing.assert_frame_equal(
        back.links, links.links.astype({"also_matches": str}), check_dtype=False
    )
    assert back.summary() == links.summary()
    assert "2 links" in repr(back)
    assert "<table" in back._repr_html_()


@pytest.mark.parametrize(
    ("ext", "suffix", "role"),
    [
        (".tiff", "", "master"),
        (".jp2", "", "access"),
        (".jpg", "_label", "label"),
        (".png", "_seg", "segmentation"),
        (".dng", "", "master"),
        (".pdf", "", "other"),
        (".jpg", "-2", "access"),
        (".png", "-2", "access"),
    ],
)
def test_roles(ext, suffix, role):
    assert guess_role(ext, suffix) == role


def test_progress_object_receives_updates(tmp_path):
    touch(tmp_path, *[f"A{i}.jpg" for i in range(25)])

    class Bar:
        total = None
        n = 0
        closed = False

        def update(self, k=1):
            self.n += k

        def close(self):
            self.closed = True

    bar = Bar()
    link_media(specimens(*[f"A{i}" for i in range(25)]), [tmp_path], progress=bar)
    assert (bar.total, bar.n, bar.closed) == (25, 25, True)


def test_load_without_links_says_how_to_make_them(tmp_path):
    ws = Workspace.create(tmp_path / "ws")
    with pytest.raises(InputError, match="--media"):
        MediaLinks.load(ws)


def test_folder_names_say_segmentation(tmp_path):
    touch(tmp_path, "segmentations/A1_lab.png", "access/A1_lab.jpg", "masks/A1.png")
    links = link_media(specimens("A1"), [tmp_path], progress=None)
    roles = {
        Path(p).parent.name + "/" + n: r
        for p, n, r in zip(
            links.links["path"], links.links["name"], links.links["role"], strict=True
        )
    }
    assert roles == {
        "segmentations/A1_lab.png": "segmentation",
        "access/A1_lab.jpg": "label",
        "masks/A1.png": "segmentation",
    }
