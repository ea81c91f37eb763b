"""The words of the HTML report and the dashboard, in Azerbaijani and English.

Each page carries both languages and switches between them in place, so
one file serves every reader; ``--lang`` chooses the one shown first.
Requirement texts and findings stay as the registry and the checks wrote
them (English); standard titles use ``title_az`` where the registry has it;
conformance class names and check titles are in :data:`CLASS_NAMES` and
:data:`CHECK_TITLES`.
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
    "headline": (
        "{n} / {m} qurum tətbiq etdiyi standartların bütün MƏCBURİ tələblərinə"
        " cavab verir",
        "{n} of {m} agencies meet every MUST requirement of the standards they"
        " implement",
    ),
    "standings": ("Qurumlar və standartları", "Agencies and their standards"),
    "standings.note": (
        "Hər qurumun tətbiq etdiyi standart versiyaları və onların hər biri"
        " üzrə yekun, qurumun son yoxlamasına görə.",
        "The standard versions each agency implements and the verdict on each,"
        " from the agency's latest run.",
    ),
    "meets_must": ("Bütün MƏCBURİ tələblər", "Every MUST requirement"),
    "yes": ("bəli", "yes"),
    "no": ("xeyr", "no"),
    "status.not-applicable": ("tətbiq olunmur", "not applicable"),
    "chart.by_standard": ("Standartlar üzrə bal", "Score by standard"),
    "chart.note": (
        "Şaquli ox göstərilən balları əhatə edir, 0%-dən başlamaya bilər.",
        "The vertical axis spans the scores shown; it need not start at 0%.",
    ),
}

# The conformance classes (probing.conventions SERVICE_CLASSES and
# SUITE_CLASSES, the OGC classes of probing.checks, and the classes
# scores.class_of gives results of other kinds): name -> (az, en).
CLASS_NAMES: dict[str, tuple[str, str]] = {
    "core": ("Əsas", "Core"),
    "correlation": ("Korrelyasiya", "Correlation"),
    "content": ("Məzmun təqdimatları", "Content"),
    "errors": ("Xətalar", "Errors"),
    "problem-details": ("Problem təfərrüatları", "Problem details"),
    "versioning": ("Versiyalaşdırma", "Versioning"),
    "pagination": ("Səhifələmə", "Pagination"),
    "writes": ("Yazma əməliyyatları", "Writes"),
    "security": ("Təhlükəsizlik", "Security"),
    "transport": ("Ötürmə", "Transport"),
    "fuzzing": ("Yaradılmış sorğularla yoxlama", "Fuzzing"),
    "availability": ("Əlçatanlıq", "Availability"),
    "performance": ("Məhsuldarlıq", "Performance"),
    "ogcapi-features-core": ("OGC API - Features: Əsas", "OGC API - Features: Core"),
    "ogcapi-features-geojson": (
        "OGC API - Features: GeoJSON",
        "OGC API - Features: GeoJSON",
    ),
    "ogcapi-features-oas30": (
        "OGC API - Features: OpenAPI 3.0",
        "OGC API - Features: OpenAPI 3.0",
    ),
    "payloads": ("Məlumat faylları", "Payloads"),
}

# Every check's title: check id -> (az, en). The English is the title the
# check registers (a test keeps the two in step); a result's title is
# "<target>: <title>[ (<method> <path>)]".
CHECK_TITLES: dict[str, tuple[str, str]] = {
    "timeout": (
        "Xidmət profildəki gözləmə müddəti ərzində cavab verir",
        "The service answers within the profile's timeout",
    ),
    "latency": (
        "Gecikmənin 95-ci persentili profildəki hədəf daxilindədir",
        "The 95th percentile of latency is within the profile's objective",
    ),
    "documented-status": (
        "Yalnız interfeysin sənədləşdirdiyi status kodları",
        "Only status codes the interface documents",
    ),
    "content-type": (
        "Content-Type sənədləşdirilmiş media tipidir",
        "The Content-Type is a documented media type",
    ),
    "documented-media-types": (
        "Hər sənədləşdirilmiş media tipi Accept istədikdə verilir",
        "Each documented media type is served when Accept asks for it",
    ),
    "json-body": (
        "JSON gövdələri əməliyyatın sxeminə uyğundur",
        "JSON bodies are valid against the operation's schema",
    ),
    "xml-body": (
        "XML gövdələri sənədləşdirilmiş XSD elementinə uyğundur",
        "XML bodies are valid against the documented XSD element",
    ),
    "content-negotiation": (
        "Accept başlığı istədikdə XML verilir",
        "XML is served when the Accept header asks for it",
    ),
    "same-data": (
        "JSON və XML təqdimatları eyni məlumatı daşıyır",
        "The JSON and XML representations carry the same data",
    ),
    "correlation-id": (
        "Korrelyasiya identifikatoru geri qaytarılır",
        "The correlation id is echoed",
    ),
    "documented-headers": (
        "Cavablar interfeysin sənədləşdirdiyi başlıqları etibarlı dəyərlərlə daşıyır",
        "Replies carry the headers the interface documents, with valid values",
    ),
    "standard-declared": (
        "Tətbiq edilən standart versiyası bəyan edilir",
        "The implemented standard version is declared",
    ),
    "unsupported-version": (
        "Dəstəklənməyən versiya sorğusu rədd edilir",
        "An unsupported requested version is refused",
    ),
    "unknown-resource": (
        "Naməlum resurs sənədləşdirilmiş status və xəta cavabı alır",
        "An unknown resource gets the documented status and error reply",
    ),
    "problem-details": (
        "Xəta cavabları sənədləşdirilmiş xəta müqaviləsinə uyğundur",
        "Error replies follow the documented error contract",
    ),
    "no-internals": (
        "Xəta cavabları stek izini, yolu, SQL-i və ya serverin daxili"
        " məlumatlarını açmır",
        "Error replies leak no stack trace, path, SQL or server internals",
    ),
    "authentication": (
        "Olmayan və ya yanlış etimadnamələr 401 və ya 403 ilə cavablanır",
        "Missing or wrong credentials give 401 or 403",
    ),
    "tls": (
        "Xidmətə təsdiqlənmiş TLS üzərindən müraciət olunur",
        "The service is reached over verified TLS",
    ),
    "standard-lifecycle": (
        "Tətbiq edilən standart versiyası qüvvədədir",
        "The implemented standard version is in force",
    ),
    "pagination": (
        "Kolleksiyalar sənədləşdirilmiş hədlər daxilində səhifələnir",
        "Collections paginate within their documented limits",
    ),
    "invalid-request": (
        "Sxemə uyğun olmayan sorğu 4xx alır, heç vaxt 2xx və ya 5xx almır",
        "A schema-invalid request gets a 4xx, never 2xx or 5xx",
    ),
    "problem-pointer": (
        "Problem təfərrüatları səhv sahəni JSON Pointer ilə göstərir",
        "Problem details name the offending field by JSON Pointer",
    ),
    "create-retrievable": (
        "Yaradılmış resurs cavabın göstərdiyi yerdən göndərildiyi kimi alınır",
        "A created resource is retrievable where the reply says, as sent",
    ),
    "fuzz-valid": (
        "Yaradılmış etibarlı sorğular server xətası almır, cavab etibarlıdır",
        "Generated valid requests get no server error and a valid reply",
    ),
    "fuzz-invalid": (
        "Yaradılmış etibarsız sorğular sənədləşdirilmiş xəta formasında 4xx alır",
        "Generated invalid requests get a 4xx in the documented error form",
    ),
    "ogc-landing-page": (
        "Giriş səhifəsi API tərifinə, uyğunluq siyahısına və məlumatlara keçid verir",
        "The landing page links to the API definition, conformance and data",
    ),
    "ogc-api-definition": (
        "Giriş səhifəsinin keçid verdiyi API tərifi keçidin dediyi kimi verilir",
        "The API definition linked from the landing page is served as its link says",
    ),
    "ogc-conformance": (
        "/conformance uyğunluq siniflərini, o cümlədən Core-u sadalayır",
        "/conformance lists the conformance classes, Core among them",
    ),
    "ogc-collections": (
        "/collections obyekt kolleksiyaları ilə cavab verir",
        "/collections answers with the feature collections",
    ),
    "ogc-collections-links": (
        "/collections özünə keçid verir, hər keçiddə rel və type var",
        "/collections links to itself, every link with rel and type",
    ),
    "ogc-collection-items-link": (
        "Hər kolleksiya media tipi ilə öz elementlərinə keçid verir",
        "Each collection links to its items, with the media type",
    ),
    "ogc-collection-extent": (
        "Kolleksiyanın əhatə dairəsi onun bütün obyektlərini əhatə edir",
        "A collection's extent contains all its features",
    ),
    "ogc-collection": (
        "/collections/{collectionId} kolleksiyanı /collections kimi təsvir edir",
        "/collections/{collectionId} describes the collection as /collections does",
    ),
    "ogc-items": (
        "Kolleksiyanın elementləri etibarlı obyekt kolleksiyasıdır",
        "The items of a collection are a valid feature collection",
    ),
    "ogc-limit-default": (
        "limit verilmədikdə səhifədə ən çox susmaya görə sayda obyekt olur",
        "Without limit a page holds at most the default number of features",
    ),
    "ogc-limit": (
        "Səhifədə nə limitdən, nə də onun maksimumundan çox obyekt olmur",
        "A page holds no more features than the limit, nor than its maximum",
    ),
    "ogc-invalid-parameters": (
        "Etibarsız limit, bbox və datetime dəyərləri 400 ilə rədd edilir",
        "Invalid limit, bbox and datetime values are refused with 400",
    ),
    "ogc-unknown-parameter": (
        "Naməlum sorğu parametri 400 ilə rədd edilir",
        "An unknown query parameter is refused with 400",
    ),
    "ogc-bbox": (
        "bbox (dörd və ya altı ədəd) məhz kəsişdiyi obyektləri seçir",
        "bbox (four or six numbers) selects exactly the features it intersects",
    ),
    "ogc-datetime": (
        "datetime (an, interval, açıq interval) obyektləri vaxta görə seçir",
        "datetime (instant, interval, open interval) selects by time",
    ),
    "ogc-items-links": (
        "Səhifə istənildiyi kimi özünə, digər media tiplərinə və növbəti səhifəyə"
        " keçid verir",
        "A page links to itself as asked, to its other media types and to the next",
    ),
    "ogc-items-link-types": (
        "Obyektlər səhifəsinin hər keçidində rel və type var",
        "Every link of a page of features has rel and type",
    ),
    "ogc-number-matched": (
        "numberMatched sorğunun seçdiyi obyektlərin sayıdır",
        "numberMatched is the number of features the query selects",
    ),
    "ogc-number-returned": (
        "numberReturned səhifədəki obyektlərin sayıdır",
        "numberReturned is the number of features on the page",
    ),
    "ogc-feature": (
        "Obyekt öz identifikatoru ilə verilir",
        "A feature is served by its id",
    ),
    "ogc-feature-links": (
        "Obyekt özünə, digər media tiplərinə və kolleksiyasına keçid verir",
        "A feature links to itself, its other media types and its collection",
    ),
    "ogc-unknown-feature": (
        "Naməlum obyekt identifikatoru 404 ilə cavablanır",
        "An unknown feature id gives 404",
    ),
    "ogc-geojson-definition": (
        "İstənildikdə obyektlər application/geo+json kimi verilir",
        "Features are served as application/geo+json when asked for",
    ),
    "ogc-geojson-content": (
        "GeoJSON cavabları keçidləri olan RFC 7946 obyekt kolleksiyaları və"
        " obyektləridir",
        "GeoJSON replies are RFC 7946 feature collections and features, with links",
    ),
    "ogc-oas30-definition": (
        "API tərifi etibarlı OpenAPI 3.0 sənədidir",
        "The API definition is a valid OpenAPI 3.0 document",
    ),
    "ogc-fuzz-items": (
        "Xidmətin tərifindən yaradılmış elementlər sorğuları server xətası almır",
        "Generated items queries from the service's definition get no server error",
    ),
}


def text(key: str, lang: str) -> str:
    """The message in one language (English if the key is missing there)."""
    az, en = MESSAGES.get(key, (key, key))
    return az if lang == "az" else en


def both(key: str) -> tuple[str, str]:
    """The message in both languages: (Azerbaijani, English)."""
    return MESSAGES.get(key, (key, key))


def class_name(name: str) -> tuple[str, str]:
    """A conformance class's name in both languages (its id if unknown)."""
    return CLASS_NAMES.get(name, (name, name))


def check_title(check: str, title: str) -> tuple[str, str]:
    """A result's title in both languages: (Azerbaijani, English).

    ``title`` is the result's own title, "<target>: <check title>[ (<op>)]".
    When it is not the check's title as this catalogue knows it (a report
    from another version, a plugin's check), both languages show it as is.
    """
    known = CHECK_TITLES.get(check)
    if known is None:
        return title, title
    az, en = known
    target, sep, rest = title.partition(": ")
    if sep and rest.startswith(en):
        return f"{target}: {az}{rest[len(en) :]}", title
    if title.startswith(en):
        return az + title[len(en) :], title
    return title, title
