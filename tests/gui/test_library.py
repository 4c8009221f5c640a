"""The library view over a library made by real runs: lineage, columns, search, details, damaged entries,
notes, delete, export/import, verify, live refresh."""

from PySide6.QtCore import QModelIndex, Qt

from gui.library_model import ID_ROLE

from .conftest import GUESTS, cli, damage_state

WAIT = 20000


def tree_of(view_model, parent=QModelIndex(), depth=0):
    """[(depth, id)] in display order."""
    out = []
    for row in range(view_model.rowCount(parent)):
        index = view_model.index(row, 0, parent)
        out.append((depth, index.data(ID_ROLE)))
        out += tree_of(view_model, index, depth + 1)
    return out


def test_tree_shows_the_lineage(window, built_library):
    _, ids = built_library
    page = window.library_page
    shown = tree_of(page.proxy)
    assert (0, ids["first"]) in shown and (0, ids["blk"]) in shown
    assert (1, ids["second"]) in shown and (1, ids["restored"]) in shown
    first = page.proxy.mapFromSource(page.model.index_of(ids["first"]))
    assert page.tree.isExpanded(first)
    children = {page.proxy.index(r, 0, first).data(ID_ROLE) for r in range(page.proxy.rowCount(first))}
    assert children == {ids["second"], ids["restored"]}
    # columns from the index, formatted
    model = page.model
    row = model.index_of(ids["first"])
    cell = lambda key: model.index(row.row(), model.column_index(key), row.parent()).data()  # noqa: E731
    assert cell("name") == "sieve@200k"
    assert cell("instret") == "200,000"
    assert cell("trigger") == "instruction 200,000"
    assert cell("note") == "first boot"
    assert cell("machine") == "virt-rv64"
    assert "atomic" in cell("cpu_models")
    assert cell("stored_bytes").endswith(" KiB")
    blk = model.index_of(ids["blk"])
    assert model.index(blk.row(), model.column_index("disks"), blk.parent()).data() == "disk0 = test.img"
    headers = [model.headerData(n, Qt.Orientation.Horizontal) for n in range(model.columnCount())]
    assert headers[0] == "Checkpoint" and "Size on disk" in headers and "Disk images" in headers


def test_search_filters_recursively_and_sorts(window, built_library):
    _, ids = built_library
    page = window.library_page
    page.search.setText("blk-early")
    assert [i for _, i in tree_of(page.proxy)] == [ids["blk"]]
    page.search.setText("300,000")  # the restored child's instret: its parent stays visible
    assert [(d, i) for d, i in tree_of(page.proxy)] == [(0, ids["first"]), (1, ids["restored"])]
    page.search.clear()
    page.tree.sortByColumn(page.model.column_index("instret"), Qt.SortOrder.DescendingOrder)
    first = page.proxy.mapFromSource(page.model.index_of(ids["first"]))
    order = [page.proxy.index(r, 0, first).data(ID_ROLE) for r in range(2)]
    assert order == [ids["second"], ids["restored"]]


def test_details_of_the_selected_checkpoint(window, built_library, qtbot):
    _, ids = built_library
    page = window.library_page
    page.select(ids["first"])
    details = page.details
    assert details.manifest["id"] == ids["first"]
    overview = details.overview.toPlainText()
    assert f"checkpoint {ids['first']}" in overview and "used extensions" in overview
    assert "What a target machine must honour" in overview and "must offer" in overview
    assert details.config.toPlainText().count("[components.") >= 5
    assert details.config.highlighter is not None
    assert details.console.toPlainText().strip() or True  # sieve prints at the end: the tail may be empty
    with qtbot.waitSignal(details.diagram.rendered, timeout=WAIT) as rendered:
        details.tabs.setCurrentWidget(details.diagram)
    assert rendered.args == [True]
    assert b"<svg" in details.diagram.svg and b"l1d" in details.diagram.svg
    # readable in a side panel: empty virtio slots as one node, no port names on the edges
    assert b"8\xc3\x97 virtio_mmio" in details.diagram.svg and "\u2192".encode() not in details.diagram.svg


def test_overview_wraps_instead_of_running_off_the_panel(window, built_library, qtbot):
    _, ids = built_library
    page = window.library_page
    page.splitter.setSizes([1000, 400])  # a narrow details panel
    page.select(ids["first"])
    details = page.details
    details.tabs.setCurrentWidget(details.overview)
    qtbot.wait(200)
    assert details.overview.horizontalScrollBar().maximum() == 0


def test_damaged_entry_is_shown_not_hidden(window_on, library_copy):
    root, ids = library_copy
    broken = root / "checkpoints" / "cpt-broken"
    broken.mkdir()
    (broken / "manifest.toml").write_text("format = [unterminated")
    win = window_on(root)
    page = win.library_page
    shown = [i for _, i in tree_of(page.proxy)]
    assert "cpt-broken" in shown and ids["first"] in shown
    index = page.proxy.mapFromSource(page.model.index_of("cpt-broken"))
    assert index.data().startswith("⚠")
    note = index.siblingAtColumn(page.model.column_index("note")).data()
    assert note.startswith("damaged:") and "not valid TOML" in note
    assert "1 damaged" in page.count.text()
    page.select("cpt-broken")
    assert "cannot be read" in page.details.overview.toPlainText()
    assert not win.restore_action.isEnabled() and win.delete_action.isEnabled()


def test_note_edit_delete_and_live_refresh(window_on, library_copy, qtbot):
    root, ids = library_copy
    win = window_on(root)
    page = win.library_page
    model = page.model
    row = model.index_of(ids["second"])
    note_cell = model.index(row.row(), model.column_index("note"), row.parent())
    assert model.setData(note_cell, "interesting spot")
    qtbot.waitUntil(lambda: win.catalog.entry(ids["second"]).note == "interesting spot", timeout=WAIT)
    assert win.library.manifest(ids["second"])["meta"]["note"] == "interesting spot"

    # delete the parent: the checkpoint goes, its children stay as orphans at the top
    page.select(ids["first"])
    win.delete_selected(confirm=False)
    qtbot.waitUntil(lambda: ids["first"] not in win.catalog.by_id, timeout=WAIT)
    top = [i for d, i in tree_of(page.proxy) if d == 0]
    assert ids["second"] in top and ids["restored"] in top

    # another process writes a checkpoint: it appears by itself (file watcher + sync_index)
    before = set(win.catalog.by_id)
    cli("run", GUESTS.parent.parent / "configs" / "virt-rv64.toml", "--kernel", GUESTS / "build" / "hello.elf",
        "--checkpoint-at-inst", 1000, "--library", root, "--quiet", "--name", "from-outside",
        "--outdir", root.parent / "out-hello")
    qtbot.waitUntil(lambda: len(set(win.catalog.by_id) - before) == 1, timeout=WAIT)
    new = (set(win.catalog.by_id) - before).pop()
    assert win.catalog.entry(new).name == "from-outside"
    assert (0, new) in tree_of(page.proxy)


def test_export_import_and_verify(window_on, library_copy, tmp_path, qtbot):
    root, ids = library_copy
    win = window_on(root)
    win.library_page.select(ids["first"])
    archive = tmp_path / "first.tar"
    with qtbot.waitSignal(win.export_selected(str(archive)).signals.done, timeout=WAIT):
        pass
    assert archive.stat().st_size > 0

    other = tmp_path / "other-lib"
    win2 = window_on(other)
    assert win2.catalog.ids() == []
    with qtbot.waitSignal(win2.import_archive(str(archive)).signals.done, timeout=WAIT):
        pass
    qtbot.waitUntil(lambda: win2.catalog.ids() == [ids["first"]], timeout=WAIT)

    # damage its state: verify says which record, and the details still show the manifest
    component, _ = damage_state(root, ids["second"])
    win.library_page.select(ids["second"])
    with qtbot.waitSignal(win.verify_selected().signals.done, timeout=WAIT):
        pass
    qtbot.waitUntil(lambda: hasattr(win, "last_verification"), timeout=WAIT)
    (result,) = win.last_verification
    assert not result.ok and f"components.{component}" in result.message
    assert "checksum" in result.message or "corrupt" in result.message
    assert win.library_page.details.manifest["id"] == ids["second"]
    assert "damaged" in win.last_notice.text()
    win.last_notice.close()
