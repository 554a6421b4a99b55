"""The learned half of the classifier: what it reads, how it is stored, and how it sits beside the rules."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.mailfactory import text_mail
from worker.classify import model as intent_model
from worker.classify import train as training
from worker.classify.classifier import classify_bytes
from worker.classify.features import features
from worker.classify.model import MODEL_INTENTS, ModelFileError
from worker.cli.classify_model import model_app
from worker.domain import Intent

# A few words per intent, enough for a tiny model to tell them apart in the tests below.
PHRASES = {
    Intent.PAID: ["we paid it yesterday", "the transfer went out on monday", "payment was made last week",
                  "昨日振り込みました", "already settled by wire"],
    Intent.PROMISE_TO_PAY: ["we will pay on friday", "payment will follow next week", "you will have it monday",
                            "月末にお支払いします", "we shall transfer it tomorrow"],
    Intent.PAYMENT_PLAN: ["can we pay in three instalments", "could we split it over four months",
                          "分割でお願いできますか", "monthly parts would help us", "pay half now and half later"],
    Intent.DISPUTE: ["the goods arrived broken", "this price is wrong", "we never ordered this",
                     "金額が違います", "the invoice is a duplicate"],
    Intent.OTHER: ["please send a copy of the invoice", "who is our contact now", "請求書を再送してください",
                   "what are your bank details", "thanks, noted"],
    Intent.AUTO_REPLY: ["i am out of the office until monday", "this mailbox is not monitored",
                        "ただいま不在にしております", "thank you for your email, we will respond within two days",
                        "i am on annual leave with limited access to email"],
}


def _examples(copies: int = 3) -> list[training.Example]:
    out = []
    for intent, phrases in PHRASES.items():
        for n, phrase in enumerate(phrases):
            for copy in range(copies):
                out.append(training.Example(
                    text=f"{phrase} (note {copy})", intent=intent, group=f"{intent.value}.{n}", honest=True,
                    rule_scores={}, rule_intent=Intent.OTHER, language="ja" if not phrase.isascii() else "en",
                ))
    return out


@pytest.fixture(scope="module")
def tiny_model() -> intent_model.IntentModel:
    return training.fit(_examples())


def test_features_read_digits_as_zero_and_full_width_as_ascii() -> None:
    """'Paid on 12 March' and 'paid on 30 March' give the same features; ＰＡＩＤ is paid; Japanese gives char
    n-grams."""
    assert features("Paid on 12 March") == features("paid on 30 March")
    assert features("paid on 3 March") != features("paid on 30 March")  # one digit is not two
    assert "w:paid" in features("ＰＡＩＤ")
    assert {"j:振込", "k:振込済"} <= set(features("振込済み"))


def test_the_model_reads_what_sklearn_fitted_exactly() -> None:
    """The numpy inference gives the probabilities scikit-learn's own pipeline gives, to 1e-9."""
    examples = _examples()
    texts = [e.text for e in examples]
    labels = [e.intent.value for e in examples]
    vec, lr = training.fit_text(texts, labels)
    classes = tuple(Intent(c) for c in sorted(set(labels)))
    layer = training.text_layer(vec, lr, classes)
    n = len(classes)
    model = intent_model.IntentModel(classes=classes, stack_coef=np.zeros((3 * n + 2, n)), stack_intercept=np.zeros(n),
                                     info={}, **layer)
    for text in ["we paid it on friday", "金額が違うようです", "unknown words only", ""]:
        expected = lr.predict_proba(vec.transform([text]))[0]
        assert np.allclose(model.text_probabilities(text), expected, atol=1e-9), text


def test_fitting_is_deterministic(tiny_model: intent_model.IntentModel) -> None:
    """The same examples give the same arrays, so a rebuilt model file changes only when its inputs do."""
    again = training.fit(_examples())
    assert again.vocabulary == tiny_model.vocabulary
    assert np.array_equal(again.coef, tiny_model.coef)
    assert np.array_equal(again.stack_coef, tiny_model.stack_coef)


def test_save_and_load_keep_every_probability(tiny_model: intent_model.IntentModel, tmp_path: Path) -> None:
    """A saved model loads without pickle and answers exactly as before."""
    path = tmp_path / "m.npz"
    intent_model.save(tiny_model, path)
    loaded = intent_model.load(path)
    for text in ["we will pay on friday", "分割でお願いできますか"]:
        assert loaded.probabilities(text, {Intent.PAID: 0.6}, Intent.PAID) == pytest.approx(
            tiny_model.probabilities(text, {Intent.PAID: 0.6}, Intent.PAID), abs=1e-6)
    with np.load(path, allow_pickle=False) as data:
        assert all(data[k].dtype != object for k in data.files)


def test_a_broken_model_file_leaves_the_rules_deciding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A garbage file named by DUNMAIL_CLASSIFY_MODEL never stops classifying: the rules decide and say so."""
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")
    monkeypatch.setenv(intent_model.MODEL_ENV, str(bad))
    intent_model._load_cached.cache_clear()
    try:
        result = classify_bytes(text_mail("We paid invoice INV-1001 yesterday by bank transfer."))
        assert result.intent is Intent.PAID
        assert not any(r.startswith("model:") for r in result.reasons)
    finally:
        monkeypatch.delenv(intent_model.MODEL_ENV)
        intent_model._load_cached.cache_clear()
    with pytest.raises(ModelFileError, match="dunmail classify train"):
        intent_model.load(bad)


def test_a_model_of_another_format_is_refused_with_what_to_do(
    tiny_model: intent_model.IntentModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file written by another model format names the format and the command that rebuilds it."""
    path = tmp_path / "old.npz"
    current = intent_model.FORMAT
    monkeypatch.setattr(intent_model, "FORMAT", 0)
    intent_model.save(tiny_model, path)
    monkeypatch.setattr(intent_model, "FORMAT", current)
    with pytest.raises(ModelFileError, match=r"format 0.*dunmail classify train"):
        intent_model.load(path)


def test_the_shipped_model_covers_every_intent_a_person_writes() -> None:
    """dunmail ships a model over the five human intents and header-less auto-replies; bounces stay structural."""
    shipped = intent_model.load(intent_model.SHIPPED_MODEL)
    assert set(shipped.classes) == set(MODEL_INTENTS)
    assert shipped.info["honest_examples"] >= training.MIN_HONEST


def test_with_the_model_a_reply_names_its_top_two_intents_and_why() -> None:
    """A classified reply carries the two likeliest intents (probabilities that sum to at most 1) and the
    sentence that decided it."""
    result = classify_bytes(text_mail("Hello,\n\nThe goods arrived damaged, so we will not pay invoice INV-77 yet."))
    assert result.intent is Intent.DISPUTE
    (first, p1), (second, p2) = result.alternatives
    assert first is Intent.DISPUTE and second is not Intent.DISPUTE and p1 >= p2 and p1 + p2 <= 1.0 + 1e-9
    assert result.confidence == pytest.approx(p1, abs=1e-3)
    assert any("damaged" in sentence for sentence in result.why)


def test_training_refuses_without_honest_examples() -> None:
    """Replies the rules were written from cannot teach the stacker: too few honest ones is a clear error."""
    examples = [training.Example(e.text, e.intent, e.group, False, {}, Intent.OTHER, e.language) for e in _examples()]
    with pytest.raises(training.TrainingError, match="rules were not written from"):
        training.fit(examples)


def test_training_refuses_an_intent_without_examples() -> None:
    """Every intent needs labelled replies; the error names the missing one."""
    examples = [e for e in _examples() if e.intent is not Intent.PAYMENT_PLAN]
    with pytest.raises(training.TrainingError, match="payment_plan"):
        training.fit(examples)


def _corpus(root: Path) -> Path:
    """A tiny corpus folder in corpus format: train/ and heldout/ with labels.jsonl and .eml files."""
    for split, copies in (("train", 3), ("heldout", 1)):
        folder = root / split
        folder.mkdir(parents=True)
        with (folder / "labels.jsonl").open("w", encoding="utf-8") as labels:
            for n, example in enumerate(_examples(copies)):
                name = f"m{n:03d}.eml"
                (folder / name).write_bytes(text_mail(example.text))
                labels.write(json.dumps({"file": name, "intent": example.intent.value, "language": example.language,
                                         "body": example.group, "source": "test"}) + "\n")
    return root


def test_classify_train_reports_held_out_then_writes_the_model(tmp_path: Path) -> None:
    """`dunmail classify train` trains on train/, reports held-out for rules, current and retrained models,
    and writes a model file the classifier can load."""
    out = tmp_path / "site-model.npz"
    result = CliRunner().invoke(model_app, ["train", "--corpus", str(_corpus(tmp_path / "corpus")),
                                            "--out", str(out), "--force"])
    assert result.exit_code == 0, result.output
    assert "rules only" in result.output and "retrained" in result.output
    assert set(intent_model.load(out).classes) == set(MODEL_INTENTS)


def test_classify_train_names_a_missing_corpus(tmp_path: Path) -> None:
    """Pointing train at a folder without labels says what a corpus folder holds, and writes nothing."""
    out = tmp_path / "m.npz"
    result = CliRunner().invoke(model_app, ["train", "--corpus", str(tmp_path), "--out", str(out)])
    assert result.exit_code == 2
    assert "labels.jsonl" in result.output and not out.exists()


def test_the_cached_lookup_counts_exactly_the_features_of_the_analyzer() -> None:
    """feature_ids (per-word caches) gives the same multiset of known features as features() over the
    whole training corpus, so caching changes speed and nothing else."""
    from collections import Counter

    shipped = intent_model.load(intent_model.SHIPPED_MODEL)
    labels = (Path(__file__).parent / "corpus" / "train" / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [classify_bytes((Path(__file__).parent / "corpus" / "train" / json.loads(line)["file"]).read_bytes(),
                            model=None).reply_text for line in labels[::7]]
    assert len(texts) > 250
    for text in [*texts, "ＰＡＩＤ on the 12th お振込み済み paymnet", ""]:
        plain = Counter(i for i in map(shipped.vocabulary.get, features(text)) if i is not None)
        assert shipped.feature_ids(text) == plain, text


def test_export_feedback_writes_corrections_that_train_reads_back(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`dunmail classify export-feedback` writes each reviewer-corrected reply (raw bytes as stored, the corrected
    intent as label) in corpus format, and train's reader gives the same mail and label back."""
    from worker.db.engine import make_engine, transaction
    from worker.db.migrate import upgrade
    from worker.db.models import Mail

    url = f"sqlite:///{tmp_path / 'f.db'}"
    upgrade(make_engine(url))
    raw = text_mail("請求書の金額が違います。").replace(b"\r\n", b"\n") + b"\xff"  # bytes kept, not decoded
    with transaction(make_engine(url)) as s:
        s.add(Mail(direction="in", status="processed", raw=raw, intent="dispute",
                   analysis={"corrected_intent": "dispute", "machine_intent": "other", "language": "ja"}))
        s.add(Mail(direction="in", status="processed", raw=b"x", intent="paid", analysis={"language": "en"}))
    monkeypatch.setenv("DUNMAIL_DATABASE_URL", url)
    monkeypatch.setenv("DUNMAIL_SECRET_KEY", "feedback-test-secret")
    result = CliRunner().invoke(model_app, ["export-feedback", "--out", str(tmp_path / "fb")])
    assert result.exit_code == 0, result.output
    rows = list(training.labelled_mails(tmp_path / "fb"))
    assert [(label["intent"], label["machine_intent"], label["source"]) for label, _ in rows] == [
        ("dispute", "other", "feedback")]
    assert rows[0][1] == raw
