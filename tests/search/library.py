"""A small library written straight into the tables (the library's loader is another package's work)."""

from lms.content.models import ArticleCitation, CaseNote, GlossaryTerm, LibraryArticle, LibraryInstrument

ART_448_1 = {
    "fr": "Constitue la traite des êtres humains le fait de recruter une personne en abusant d'une situation de "
    "vulnérabilité, aux fins d'exploitation. Le consentement de la victime est indifférent.",
    "ar": "يقصد بالاتجار بالبشر تجنيد شخص أو استدراجه باستغلال حالة الضعف أو الاستضعاف بغرض الاستغلال. "
    "لا يعتد برضا الضحية.",
}


def add_library(db) -> None:
    """This small library in place of the shipped one (which the ``courses`` fixture synced)."""
    for model in (ArticleCitation, LibraryArticle, LibraryInstrument, CaseNote, GlossaryTerm):
        db.session.execute(model.__table__.delete())
    law = LibraryInstrument(
        slug="law-27-14", kind="law", position=3, title={"fr": "Loi n° 27-14 relative à la traite", "ar": "القانون"},
        short_title={"fr": "Loi n° 27-14", "ar": "القانون رقم 27.14"}, source={"fr": "BO"}, dated="2016-08-25",
        summary_html={}, source_hash="x",
    )  # fmt: skip
    palermo = LibraryInstrument(
        slug="palermo-protocol", kind="treaty", position=1, title={"fr": "Protocole de Palerme", "ar": "بروتوكول باليرمو"},
        short_title={"fr": "Protocole de Palerme", "ar": "بروتوكول باليرمو"}, source={"fr": "ONU"}, dated="2000",
        summary_html={}, source_hash="x",
    )  # fmt: skip
    circular = LibraryInstrument(
        slug="circular-2017-traite", kind="circular", position=9, title={"fr": "Circulaire du parquet sur la traite",
        "ar": "دورية رئاسة النيابة العامة"}, short_title={"fr": "Circulaire", "ar": "دورية"}, source={},
        dated="2017", summary_html={"fr": "<p>Les parquets désignent un <strong>magistrat référent</strong>.</p>"},
        source_hash="x",
    )  # fmt: skip
    db.session.add_all([law, palermo, circular])
    db.session.flush()
    db.session.add_all(
        [
            LibraryArticle(instrument_id=law.id, slug="448-1", number="448-1", position=1, heading={},
                           text=ART_448_1, pending=[], source_hash="x"),
            LibraryArticle(instrument_id=law.id, slug="448-2", number="448-2", position=2, heading={},
                           text={"fr": "Est puni de la réclusion de cinq à dix ans quiconque commet la traite.",
                                 "ar": "يعاقب بالسجن من خمس إلى عشر سنوات."}, pending=[], source_hash="x"),
            LibraryArticle(instrument_id=palermo.id, slug="3", number="3", position=3, heading={"fr": "Terminologie"},
                           text={"fr": "L'expression « traite des personnes » désigne le recrutement... le travail "
                                 "ou les services forcés.", "ar": "يقصد بتعبير الاتجار بالأشخاص تجنيد أشخاص."},
                           pending=["ar"], source_hash="x"),
            CaseNote(slug="child-domestic-servitude", position=1, title={"fr": "Une enfant employée de maison",
                     "ar": "طفلة خادمة في البيوت"}, body_html={"fr": "<p>Une <em>enfant victime</em> de servitude "
                     "domestique &amp; d'exploitation.</p>", "ar": "<p>طفلة ضحية استغلال في العمل المنزلي.</p>"},
                     tags={"victim": "child"}, from_module=None, source_hash="x"),
            GlossaryTerm(slug="position-of-vulnerability", term={"fr": "situation de vulnérabilité",
                         "ar": "حالة استضعاف", "en": "position of vulnerability"},
                         variants={"fr": ["situations de vulnérabilité"], "ar": ["حالة الاستضعاف", "وضعية هشاشة"]},
                         definition={"fr": "Toute situation où la personne n'a d'autre choix que de se soumettre.",
                                     "ar": "كل وضعية لا يكون فيها للشخص خيار حقيقي إلا الخضوع.",
                                     "en": "Any situation in which the person has no real alternative."},
                         source_ref="law-27-14/448-1", usage={}, source_hash="x"),
        ]
    )  # fmt: skip
    db.session.flush()
