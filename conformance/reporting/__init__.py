"""What people read: the text renderer, report writers and the dashboard.

Writers are looked up by format name (:mod:`.writers`); HTML pages come from
autoescaping Jinja2 templates (:mod:`.templating`, ``templates/``) in
Azerbaijani and English (:mod:`.i18n`); :mod:`.dashboard` draws every agency
against every standard over the history.
"""
