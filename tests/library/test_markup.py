"""References and glossary terms in the rendered module HTML (stored at sync)."""

import re

from sqlalchemy import select

from lms.content.libmarkup import decorate, glossary_forms
from lms.content.library import TermSource
from lms.content.models import ModuleText
from lms.content.normalize import fold


def _body(db, locale):
    return db.session.scalar(select(ModuleText.body_html).where(ModuleText.locale == locale))


def test_reference_is_a_link_with_its_label_and_a_preview(db, synced):
    fr = _body(db, "fr")
    print(fr)
    link = re.search(r'<span class="ref"><a href="/library/law-27-14/448-1" aria-describedby="(ref-\d+)">(.*?)</a>', fr)
    assert link, fr
    assert "Article" in link.group(2) and "Loi n°" in link.group(2) and "448" in link.group(2)
    preview = re.search(rf'<span class="ref-preview" id="{link.group(1)}">(.*?)</span>', fr).group(1)
    assert preview.startswith("On entend par traite des êtres humains") and "Deuxième alinéa" not in preview
    # custom text is kept; the preview then names the article
    custom = re.search(r'<a href="/library/palermo-protocol/3" aria-describedby="(ref-\d+)">(.*?)</a>', fr)
    assert custom.group(2) == "la définition du Protocole"
    assert "Article" in re.search(rf'id="{custom.group(1)}">(.*?)</span>', fr).group(1)
    assert "[[" not in fr and "TADRIBREF" not in fr


def test_reference_label_in_arabic(db, synced):
    ar = _body(db, "ar")
    label = re.search(r'<a href="/library/law-27-14/448-1" aria-describedby="ref-1">(.*?)</a>', ar).group(1)
    assert "الفصل" in label and "من القانون رقم" in label


def test_glossary_term_marked_once_not_in_headings_or_links_or_code(db, synced):
    fr = _body(db, "fr")
    assert fr.count('<dfn tabindex="0" aria-describedby="gloss-vulnerability">') == 1
    # the heading holds the term first, but it is marked in running text: the first occurrence ignores case/accents
    heading = re.search(r"<h2[^>]*>(.*?)</h2>", fr).group(1)
    assert "dfn" not in heading
    assert '<dfn tabindex="0" aria-describedby="gloss-vulnerability">Situation de Vulnerabilite</dfn>' in fr
    assert (
        '<span class="gloss-def" id="gloss-vulnerability"><a href="/library/glossary#vulnerability">'
        "situation de vulnérabilité</a>&nbsp;: Situation où" in fr
    )
    # "greffe": not in code, not in a link; marked in the third occurrence (running text)
    assert "<code>greffe</code>" in fr and '<a href="https://example.org">le greffe</a>' in fr
    assert re.search(
        r'puis le <span class="gloss"><dfn tabindex="0" aria-describedby="gloss-registry">greffe</dfn>'
        r'<span class="gloss-def" id="gloss-registry">.*?</span></span> du tribunal',
        fr,
    )


def test_arabic_terms_marked_with_tashkeel_and_a_proclitic(db, synced):
    ar = _body(db, "ar")
    # written with tashkeel and the conjunction و attached: the mark covers the term as written, not the و
    assert "وحالة<dfn" not in ar
    assert re.search(
        r'و<span class="gloss"><dfn tabindex="0" aria-describedby="gloss-vulnerability">حالةِ الاستضعافِ</dfn>', ar
    )
    assert ar.count('aria-describedby="gloss-vulnerability"') == 1
    assert '<dfn tabindex="0" aria-describedby="gloss-registry">كتابة الضبط</dfn>' in ar


def test_arabic_without_tashkeel_and_hamza_forms():
    term = TermSource(
        "consent",
        {"fr": "consentement", "ar": "رضا الضحية", "en": "consent"},
        {"ar": ["الرضاء"]},
        {"fr": "d", "ar": "تعريف", "en": "d"},
        None,
        {},
    )
    html = decorate(
        "<p>لا يعتد بالرضاء في هذه الحالة ولا برضا الضحية.</p>",
        [],
        glossary_forms([term], "ar"),
        "/library/glossary",
        "ar",
    )
    assert html.count("<dfn") == 1 and '<dfn tabindex="0" aria-describedby="gloss-consent">الرضاء</dfn>' in html
    assert fold("إِشْعَار") == fold("اشعار") and fold("مؤسسة") == fold("موسسه") and fold("Élément") == "element"


def test_no_marking_inside_existing_dfn_abbr_or_law_titles():
    term = TermSource(
        "t", {"fr": "traite", "ar": "اتجار", "en": "trafficking"}, {}, {"fr": "déf", "ar": "x", "en": "x"}, None, {}
    )
    source = (
        '<div class="admonition law"><p class="admonition-title">Loi sur la traite</p><p>Texte.</p></div>'
        '<p><dfn>traite</dfn> <abbr title="x">traite</abbr> puis la traite &amp; la traite.</p>'
    )
    html = decorate(source, [], glossary_forms([term], "fr"), "/library/glossary", "fr")
    assert html.count("<dfn") == 2  # the one already there, and "puis la traite"
    assert 'puis la <span class="gloss"><dfn' in html and "&amp; la traite.</p>" in html
    assert '<p class="admonition-title">Loi sur la traite</p>' in html


def test_quiz_texts_write_references_out(app, db, synced):
    from lms.quizzes.display import qtext

    with app.test_request_context(headers={"Accept-Language": "fr"}):
        text = qtext({"fr": "Le consentement ([[law-27-14/448-2]], [[palermo-protocol/3|le Protocole]]) ?"})
    assert text == "Le consentement (Article 448-2, Loi n° 27-14, le Protocole) ?"
    with app.test_request_context():
        assert qtext({"fr": "Sans référence"}) == "Sans référence"
