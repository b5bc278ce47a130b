from lms.core.markdown import render_markdown


def test_script_javascript_links_and_event_handlers_removed():
    body, _toc = render_markdown(
        "Hello <script>alert('x')</script>\n\n"
        '[click](javascript:alert(1)) and <a href="javascript:alert(2)">raw</a>\n\n'
        '<img src=x onerror="alert(3)">\n\n'
        '<p onclick="alert(4)" style="color:red">para</p>\n\n'
        '<iframe src="https://evil.example"></iframe>'
    )
    html = str(body).lower()
    assert "<script" not in html and "javascript:" not in html
    assert "onerror" not in html and "onclick" not in html and "<iframe" not in html
    assert "style=" not in html and "<img" not in html
    assert "para" in html


def test_legal_extensions_render():
    text = (
        "[TOC]\n\n## Article 3\n\n"
        '!!! law "Protocole de Palerme, article 3"\n    « Traite des personnes »\n\n'
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "Terme\n:   Définition\n\nNote[^1].\n\n[^1]: Source.\n"
    )
    body, toc = render_markdown(text)
    html = str(body)
    assert 'class="admonition law"' in html and "admonition-title" in html
    assert "<table>" in html and "<dl>" in html and 'class="footnote' in html
    assert 'id="article-3"' in html and "article-3" in str(toc)


def test_arabic_heading_anchor():
    body, _ = render_markdown("## تعريف الاتجار بالبشر\n\nنص المادة 3 من البروتوكول.")
    assert 'id="تعريف-الاتجار-بالبشر"' in str(body)


def test_module_links_rewritten():
    body, _ = render_markdown("[x](../02-definition/#consent)", rewrite_href=lambda h: "/courses/c/definition#consent")
    assert 'href="/courses/c/definition#consent"' in str(body)


def test_amounts_and_legal_references_never_break():
    """Issue 16, point 6: "200 / 000 à 2 000 000 DH" and "dahir n° 1- / 18-19" broke across lines."""
    from lms.core.markdown import LRM, NBHY, NBSP, NNBSP

    body, _toc = render_markdown(
        "Amende de 200 000 à 2 000 000 DH (dahir n° 1-18-19, loi n° 27-14, article 448-1), 70 %.\n\n"
        "غرامة من 200.000 إلى 2.000.000 درهم (الفصل 1-448، القانون رقم 27.14) و 50 درهما."
    )
    html = str(body)
    assert f"200{NNBSP}000 à 2{NNBSP}000{NNBSP}000{NBSP}DH" in html
    assert f"dahir n°{NBSP}{LRM}1{NBHY}18{NBHY}19{LRM}" in html
    assert f"n°{NBSP}{LRM}27{NBHY}14{LRM}" in html and f"article{NBSP}{LRM}448{NBHY}1{LRM}" in html
    assert f"70{NBSP}%" in html
    # Arabic: the article keeps its typed order (1-448) and its number, the amount its unit.
    assert f"الفصل{NBSP}{LRM}1{NBHY}448{LRM}" in html
    assert f"2.000.000{NBSP}درهم" in html and f"رقم{NBSP}27.14" in html and f"50{NBSP}درهما" in html
    # No breakable space or hyphen is left inside any of them.
    for broken in ("1-18-19", "27-14", "448-1", "1-448", "000 DH", "2 000", "n° 1"):
        assert broken not in html, broken


def test_keep_together_leaves_code_urls_and_attributes_alone():
    from lms.core.markdown import keep_together

    body, _toc = render_markdown(
        "[Loi 27-14](https://example.org/loi-27-14?montant=2000) `art. 448-1 et 200 000 DH`\n\n"
        "    dahir n° 1-18-19 : 2 000 000 DH\n"
    )
    html = str(body)
    assert 'href="https://example.org/loi-27-14?montant=2000"' in html
    assert "<code>art. 448-1 et 200 000 DH</code>" in html
    assert "<pre><code>dahir n° 1-18-19 : 2 000 000 DH\n</code></pre>" in html
    assert keep_together('<abbr title="loi 27-14">L 27-14</abbr>').startswith('<abbr title="loi 27-14">')
