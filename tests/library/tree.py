"""A small courses/ tree with a library, written under tmp_path (the shipped library is another helper's)."""

from __future__ import annotations

from pathlib import Path

INSTRUMENT = """kind: law
position: 2
title: {fr: "Loi n° 27-14 relative à la lutte contre la traite des êtres humains", ar: "القانون رقم 27.14 المتعلق بمكافحة الاتجار بالبشر"}
short_title: {fr: "Loi n° 27-14", ar: "القانون رقم 27.14", en: "Law No. 27-14"}
source: {fr: "Bulletin officiel n° 6526", ar: "الجريدة الرسمية عدد 6501"}
dated: 2016-08-25
"""
ARTICLE_1 = """number: {fr: "Article 448-1", ar: "الفصل 1-448", en: "Article 448-1"}
position: 1
heading: {fr: "Définition"}
text:
  fr: |
    On entend par traite des êtres humains le recrutement d'une personne. Deuxième phrase.

    Deuxième alinéa.
  ar: |
    يقصد بالاتجار بالبشر تجنيد شخص أو استدراجه.
pending: [ar]
"""
ARTICLE_2 = """number: {fr: "Article 448-2", ar: "الفصل 2-448"}
position: 2
text:
  fr: "Est puni de la réclusion de cinq à dix ans."
  ar: "يعاقب بالسجن من خمس إلى عشر سنوات."
"""
PALERMO = """kind: treaty
position: 1
title: {fr: "Protocole de Palerme", ar: "بروتوكول باليرمو"}
short_title: {fr: "Protocole de Palerme", ar: "بروتوكول باليرمو"}
source: {fr: "Nations Unies, Recueil des traités, vol. 2237", ar: "الأمم المتحدة، مجموعة المعاهدات"}
dated: "2000-11-15"
"""
PALERMO_3 = """number: {fr: "Article 3", ar: "المادة 3"}
position: 1
text:
  fr: "L'expression « traite des personnes » désigne le recrutement."
  ar: "يقصد بتعبير «الاتجار بالأشخاص» تجنيد أشخاص."
"""
CIRCULAR = """kind: circular
position: 5
title: {fr: "Circulaire du Ministère public", ar: "دورية رئاسة النيابة العامة"}
short_title: {fr: "Circulaire n° 1", ar: "الدورية رقم 1"}
source: {fr: "Présidence du Ministère public", ar: "رئاسة النيابة العامة"}
dated: "2019"
summary: {fr: "Elle rappelle [[law-27-14/448-1]].", ar: "تذكر ب[[law-27-14/448-1]]."}
"""
CASE = """fictional: true
title: {fr: "Le cas de Salma", ar: "حالة سلمى"}
body: {fr: "Salma, 15 ans, est recrutée ([[law-27-14/448-1]]).", ar: "سلمى، 15 سنة."}
tags:
  acts: [recruitment, harbouring]
  means: [deception]
  purposes: [forced-labour]
  forms: [domestic-servitude]
  victim: child
  articles: [law-27-14/448-1]
from_module: demo/01-intro
"""
CASE_ADULT = """fictional: true
title: {fr: "Le cas d'Omar", ar: "حالة عمر"}
body: {fr: "Omar, 30 ans.", ar: "عمر، 30 سنة."}
tags:
  acts: [transport]
  means: [force]
  purposes: [forced-labour]
  forms: [agricultural-labour]
  victim: adult
"""
TERM = """term: {fr: "situation de vulnérabilité", ar: "حالة استضعاف", en: "position of vulnerability"}
variants: {fr: ["situations de vulnérabilité"], ar: ["حالة الاستضعاف"]}
definition: {fr: "Situation où la personne n'a d'autre choix que de se soumettre.", ar: "حالة لا يكون فيها للشخص خيار إلا الخضوع.", en: "A situation with no real choice."}
source: law-27-14/448-1
usage: {fr: "Au Maroc, on dit aussi « état de faiblesse ».", ar: "يستعمل في المغرب أيضا تعبير حالة الضعف."}
"""
TERM_CLERK = """term: {fr: "greffe", ar: "كتابة الضبط", en: "court registry"}
definition: {fr: "Le service du tribunal qui tient les dossiers.", ar: "مصلحة المحكمة التي تمسك الملفات.", en: "The registry."}
usage: {fr: "Au Machrek : قلم الكتاب.", ar: "في المشرق: قلم الكتاب."}
"""
FR = """---
title: "Introduction"
minutes: 10
objectives: ["Essayer"]
---

## La situation de vulnérabilité

Voir [[law-27-14/448-1]] et [[palermo-protocol/3|la définition du Protocole]].

Une Situation de Vulnerabilite est visée ; une autre situation de vulnérabilité encore.

Le `greffe` et [le greffe](https://example.org) puis le greffe du tribunal.
"""
AR = """---
title: "مقدمة"
minutes: 10
objectives: ["تجربة"]
---

انظر [[law-27-14/448-1]].

تستغل وحالةِ الاستضعافِ لدى الضحية، ثم حالة استضعاف أخرى. وتمسك كتابة الضبط الملفات.
"""
COURSE = """title: {fr: "Démo", ar: "عرض"}
summary: {fr: "Démo", ar: "عرض"}
audience: [magistrate-judge]
hours: 1
"""
QUIZ = """title: {fr: "Quiz", ar: "اختبار"}
questions:
  - id: q1
    type: truefalse
    prompt: {fr: "Le consentement est indifférent ([[law-27-14/448-2]]) ?", ar: "الرضا غير معتبر؟"}
    answer: true
    explanation: {fr: "Oui.", ar: "نعم."}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_tree(root: Path) -> Path:
    """``root/courses`` with one course (demo/01-intro, citing articles in its text and quiz) and a library."""
    courses = root / "courses"
    write(courses / "demo" / "course.yaml", COURSE)
    write(courses / "demo" / "01-intro" / "fr.md", FR)
    write(courses / "demo" / "01-intro" / "ar.md", AR)
    write(courses / "demo" / "01-intro" / "quiz.yaml", QUIZ)
    lib = courses / "_library"
    write(lib / "instruments" / "law-27-14" / "instrument.yaml", INSTRUMENT)
    write(lib / "instruments" / "law-27-14" / "448-1.yaml", ARTICLE_1)
    write(lib / "instruments" / "law-27-14" / "448-2.yaml", ARTICLE_2)
    write(lib / "instruments" / "palermo-protocol" / "instrument.yaml", PALERMO)
    write(lib / "instruments" / "palermo-protocol" / "3.yaml", PALERMO_3)
    write(lib / "instruments" / "circular-2019-traite" / "instrument.yaml", CIRCULAR)
    write(lib / "cases" / "salma.yaml", CASE)
    write(lib / "cases" / "omar.yaml", CASE_ADULT)
    write(lib / "glossary" / "vulnerability.yaml", TERM)
    write(lib / "glossary" / "registry.yaml", TERM_CLERK)
    return courses
