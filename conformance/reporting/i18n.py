"""The words of the HTML report and the dashboard, in Azerbaijani and English.

Each page carries both languages and switches between them in place, so
one file serves every reader; ``--lang`` chooses the one shown first.
Requirement texts and findings stay as the registry and the checks wrote
them (English); standard titles use ``title_az`` where the registry has it.
"""

from __future__ import annotations

LANGUAGES = ("az", "en")
DEFAULT_LANGUAGE = "az"

# key: (Azerbaijani, English)
MESSAGES: dict[str, tuple[str, str]] = {
    "report.title": ("Uyğunluq hesabatı", "Conformance report"),
    "dashboard.title": ("Uyğunluq paneli", "Compliance dashboard"),
    "language": ("Dil", "Language"),
    "print": ("Çap et", "Print"),
    "run": ("Yoxlama", "Run"),
    "runs": ("Yoxlamalar", "Runs"),
    "command": ("Əmr", "Command"),
    "started": ("Başlanğıc", "Started"),
    "finished": ("Bitmə", "Finished"),
    "source": ("Mənbə", "Source"),
    "tool": ("Alət", "Tool"),
    "verdict": ("Yekun", "Verdict"),
    "incomplete.banner": (
        "Yoxlama natamamdır: nəticələr hamısı deyil",
        "The run is incomplete: these are not all the results",
    ),
    "summary": ("Xülasə", "Summary"),
    "results": ("Nəticələr", "Results"),
    "total": ("Cəmi", "Total"),
    "score": ("Bal", "Score"),
    "status": ("Vəziyyət", "Status"),
    "checked": ("Yoxlanılıb", "Checked"),
    "by_standard": ("Standartlar üzrə", "By standard"),
    "by_class": ("Uyğunluq sinifləri üzrə", "By conformance class"),
    "by_level": ("Tələb səviyyələri üzrə", "By requirement level"),
    "level": ("Səviyyə", "Level"),
    "agency": ("Qurum", "Agency"),
    "standard": ("Standart", "Standard"),
    "class": ("Sinif", "Class"),
    "outcome": ("Nəticə", "Outcome"),
    "requirement": ("Tələb", "Requirement"),
    "target": ("Hədəf", "Target"),
    "filters": ("Süzgəclər", "Filters"),
    "all": ("Hamısı", "All"),
    "shown": ("göstərilir", "shown"),
    "failures": ("Uyğunsuzluqlar", "Failures"),
    "no_failures": ("Uyğunsuzluq yoxdur.", "No failures."),
    "all_results": ("Bütün nəticələr", "All results"),
    "findings": ("Aşkar edilənlər", "Findings"),
    "evidence": ("Sübut", "Evidence"),
    "reproduce": ("Necə təkrarlamaq olar", "How to reproduce"),
    "request": ("Sorğu", "Request"),
    "reply": ("Cavab", "Reply"),
    "reason": ("Səbəb", "Reason"),
    "file": ("Fayl", "File"),
    "waiver": ("İstisna", "Waiver"),
    "waivers": ("İstisnalar", "Waivers"),
    "waived_until": ("istisna, bu tarixədək:", "waived until"),
    "waiver_expired": ("istisnanın müddəti bitib:", "waiver expired on"),
    "expires": ("Bitmə tarixi", "Expires"),
    "granted_by": ("Kim verib", "Granted by"),
    "no_waivers": ("İstisna yoxdur.", "No waivers."),
    "outcome.passed": ("keçdi", "passed"),
    "outcome.failed": ("uyğun deyil", "failed"),
    "outcome.warning": ("xəbərdarlıq", "warning"),
    "outcome.skipped": ("buraxıldı", "skipped"),
    "outcome.not_applicable": ("tətbiq olunmur", "not applicable"),
    "outcome.error": ("yoxlanıla bilmədi", "error"),
    "outcome.waived": ("istisna edilib", "waived"),
    "status.conformant": ("uyğundur", "conformant"),
    "status.non-conformant": ("uyğun deyil", "non-conformant"),
    "status.incomplete": ("natamam", "incomplete"),
    "status.waived": ("istisna ilə uyğundur", "conformant with waivers"),
    "status.not-checked": ("yoxlanılmayıb", "not checked"),
    "matrix": ("Qurum × standart", "Agency × standard"),
    "matrix.note": (
        "Hər xanada qurumun həmin standartı yoxlayan son yoxlaması göstərilir.",
        "Each cell shows the latest run that checked that agency and standard.",
    ),
    "trends": ("Dinamika", "Trends"),
    "trends.note": (
        "Yoxlamalar üzrə bal (keçən yoxlanılmış nəticələrin payı).",
        "Score over runs (the share of checked results that passed).",
    ),
    "overall": ("Ümumi", "Overall"),
    "changes": ("Dəyişikliklər", "Changes"),
    "changes.since": ("Bu yoxlamadan bəri:", "Since run"),
    "changes.to": ("bu yoxlamaya qədər:", "to run"),
    "regressions": ("Geriləmələr", "Regressions"),
    "fixes": ("Düzəlişlər", "Fixes"),
    "new_failures": ("Yeni uyğunsuzluqlar", "New failures"),
    "no_changes": ("Dəyişiklik yoxdur.", "No changes."),
    "before": ("Əvvəl", "Before"),
    "after": ("İndi", "Now"),
    "lifecycle": (
        "İstifadədə olan köhnəlmiş və ləğv edilmiş versiyalar",
        "Deprecated and retired versions in use",
    ),
    "lifecycle.none": (
        "Köhnəlmiş və ya ləğv edilmiş versiya istifadə olunmur.",
        "No deprecated or retired version is in use.",
    ),
    "version": ("Versiya", "Version"),
    "sunset": ("Qüvvədən çıxma tarixi", "Sunset"),
    "days_left": ("Qalan gün", "Days left"),
    "seen_in": ("Harada görülüb", "Seen in"),
    "life.deprecated": ("köhnəlib", "deprecated"),
    "life.retired": ("ləğv edilib", "retired"),
    "primary": ("İlkin mənbələr", "Primary sources"),
    "primary.note": (
        "Hər standartın məlumatlarının ilkin mənbəyi olan qurum və onun öz"
        " xidmətinin uyğunluğu.",
        "The agency that is the primary source of each standard's data, and"
        " whether its own service conforms.",
    ),
    "primary.owner": ("İlkin mənbə", "Primary source"),
    "primary.own": ("Öz xidməti", "Its own service"),
    "not.stated": ("göstərilməyib", "not stated"),
    "details": ("Ətraflı", "Details"),
    "details.cell": ("Uyğunsuzluqlar: xana üzrə", "Failures by cell"),
    "none": ("yoxdur", "none"),
    "generated": ("Yaradılıb", "Generated"),
    "runs.note": (
        "Qrafiklər və müqayisə üçün istifadə olunan yoxlamalar.",
        "The runs used for the charts and the comparison.",
    ),
    "traceability": ("İzlənmə", "Traceability"),
}


def text(key: str, lang: str) -> str:
    """The message in one language (English if the key is missing there)."""
    az, en = MESSAGES.get(key, (key, key))
    return az if lang == "az" else en


def both(key: str) -> tuple[str, str]:
    """The message in both languages: (Azerbaijani, English)."""
    return MESSAGES.get(key, (key, key))
