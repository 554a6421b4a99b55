"""Reading Authentication-Results (RFC 8601): only our server's header, the topmost one, parsed robustly."""

from __future__ import annotations

import email

from worker.inbound.authresults import read_auth_results

OURS = "mx.dunmail.example"


def test_reads_spf_dkim_dmarc_with_their_properties() -> None:
    """Each resinfo gives method, result and ptype.property values (lower-cased)."""
    ar = read_auth_results([f"{OURS}; spf=pass smtp.mailfrom=ap@Acme.example; dkim=pass header.d=acme.example "
                            "header.s=sel1; dmarc=pass header.from=ACME.example"], OURS)
    assert ar.authserv_id == OURS
    assert [(r.method, r.result) for r in ar.results] == [("spf", "pass"), ("dkim", "pass"), ("dmarc", "pass")]
    assert ar.of("spf")[0].props == {"smtp.mailfrom": "ap@acme.example"}
    assert ar.of("dkim")[0].props == {"header.d": "acme.example", "header.s": "sel1"}
    assert ar.dmarc_for("acme.example") == "pass"


def test_comments_quoted_strings_folding_and_spacing() -> None:
    """Nested comments (with ';' and '=' inside), a quoted authserv-id and reason, folded lines, a version
    number and spaces around '=' and '.' are all read as the grammar says."""
    value = (f'"{OURS}" 1 (a comment; with dmarc=fail (nested) inside);\r\n\tspf = pass (sender IP is\r\n'
             '\t192.0.2.1) smtp . mailfrom = acme.example;\r\n dkim=fail reason="signature; bad" header.d=x.example;'
             " dmarc=pass (p=REJECT sp=NONE) header.from=acme.example")
    ar = read_auth_results([value], OURS)
    assert [(r.method, r.result) for r in ar.results] == [("spf", "pass"), ("dkim", "fail"), ("dmarc", "pass")]
    assert ar.of("spf")[0].props == {"smtp.mailfrom": "acme.example"}
    assert ar.of("dkim")[0].reason == "signature; bad"
    assert ar.dmarc_for("acme.example") == "pass"


def test_method_version_and_case_are_normalised() -> None:
    """'DKIM/1=PASS' reads as dkim pass; the authserv-id compares without regard to case."""
    ar = read_auth_results(["MX.Dunmail.Example; DKIM/1=PASS Header.D=acme.example"], OURS)
    assert [(r.method, r.result, r.props) for r in ar.results] == [("dkim", "pass", {"header.d": "acme.example"})]


def test_only_our_topmost_header_counts() -> None:
    """Headers with another id are ignored, and of ours only the topmost (the one our server prepended)."""
    headers = [
        "mx.evil.example; dmarc=pass header.from=acme.example",
        f"{OURS}; dmarc=fail header.from=acme.example",
        f"{OURS}; dmarc=pass header.from=acme.example",
    ]
    ar = read_auth_results(headers, OURS)
    assert ar.dmarc_for("acme.example") == "fail"
    assert len(ar.results) == 1


def test_no_configured_id_trusts_nothing() -> None:
    """With no authserv-id configured no header is read, however it looks."""
    ar = read_auth_results([f"{OURS}; dmarc=pass header.from=acme.example"], None)
    assert ar.authserv_id is None and ar.results == ()
    assert ar.dmarc_for("acme.example") is None


def test_a_pass_for_another_domain_is_no_pass_for_this_one() -> None:
    """DMARC is per From domain: a pass naming evil.example gives no verdict for acme.example."""
    ar = read_auth_results([f"{OURS}; dmarc=pass header.from=evil.example"], OURS)
    assert ar.dmarc_for("acme.example") is None
    assert ar.dmarc_for("evil.example") == "pass"


def test_none_and_garbage_do_not_raise() -> None:
    """'; none', unclosed comments and quotes, stray words and an enormous header give no results, no error."""
    for value in [f"{OURS}; none", f"{OURS}; dmarc=pass (unclosed", f'{OURS}; dmarc="pass', f"{OURS};;;==;",
                  f"{OURS}; " + "(" * 50_000, f"{OURS}; " + "x=y; " * 20_000, ""]:
        ar = read_auth_results([value], OURS)
        assert ar.dmarc_for("acme.example") is None


def test_a_stray_word_does_not_glue_onto_a_property() -> None:
    """'dmarc=pass junk header.from=…' still reads header.from (the stray word is dropped)."""
    ar = read_auth_results([f"{OURS}; dmarc=pass junk header.from=acme.example"], OURS)
    assert ar.dmarc_for("acme.example") == "pass"


def test_header_values_as_the_parser_gives_them() -> None:
    """A folded header read by the stdlib parser (compat32 keeps the fold) parses the same."""
    raw = (f"Authentication-Results: {OURS};\r\n  dkim=pass header.d=acme.example;\r\n"
           "  dmarc=pass header.from=acme.example\r\nFrom: ap@acme.example\r\n\r\nhi\r\n").encode()
    msg = email.message_from_bytes(raw)
    ar = read_auth_results(msg.get_all("Authentication-Results") or [], OURS)
    assert ar.dmarc_for("acme.example") == "pass"
