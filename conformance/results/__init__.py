"""Results and what they add up to.

The run model with its verdict and JSON form (:mod:`.run`), reading reports
back and merging them (:mod:`.report_io`), scores per agency, standard and
class (:mod:`.scores`), waivers (:mod:`.waivers`), the CI gate
(:mod:`.gating`) and the comparison of two runs (:mod:`.compare`).
"""
