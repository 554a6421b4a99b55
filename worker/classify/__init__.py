"""What a customer's reply means (English and Japanese).

classifier.py  classify(mail) / classify_bytes(raw): the composition, and LOW_CONFIDENCE
features.py    the words a learned model sees (one analyzer for training and classifying)
model.py       the learned model stacked on the rules: plain arrays, numpy inference, calibrated confidence
train.py       fitting that model from the corpus and reviewers' corrections (`dunmail classify train`)
automatic.py   bounces and auto-replies first (worker.inbound detectors, words-only fallback)
rules.py       the rule engine: Rule, Document, negation/hedge/question handling, precedence
lexicon_en.py  English rules (ordered tuple, with trigger words)
lexicon_ja.py  Japanese rules
dates.py       find_dates / resolve_date: promised dates resolved against the reply's Date
entities.py    amounts and invoice references
language.py    detect_language
"""
