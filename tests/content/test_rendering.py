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
