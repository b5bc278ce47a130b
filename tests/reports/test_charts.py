"""SVG charts (lms/reports/charts.py): text escaped, mirrored for Arabic, one bar per bucket."""

from lms.reports.charts import bar_chart, histogram, line_chart


def test_charts_escape_and_mirror():
    svg = str(bar_chart([("<script>x</script>", 3), ("B", 5)], "Title & more", rtl=True))
    assert (
        "<script>" not in svg
        and "&lt;script&gt;" in svg
        and 'role="img"' in svg
        and "<title>Title &amp; more</title>" in svg
    )
    ltr, rtl = str(bar_chart([("A", 1)], "t")), str(bar_chart([("A", 1)], "t", rtl=True))
    assert 'text-anchor="start"' in ltr and 'text-anchor="end"' in rtl
    assert str(histogram([10, 95, 100, 0], "h")).count("<rect") == 10
    assert "<polyline" in str(line_chart([("a", 0), ("b", 50)], "l"))
