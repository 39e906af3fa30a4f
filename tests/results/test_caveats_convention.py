from pinchpoint.results.table import ResultTable


def test_caveats_are_kept_once_in_order() -> None:
    t = ResultTable.from_records("t", [{"a": 1}], meta={"caveats": ["x"]})
    t2 = t.with_caveats("y", "x", "", "z")
    assert t2.caveats == ("x", "y", "z")
    assert t.caveats == ("x",)
