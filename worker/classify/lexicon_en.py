"""English intent rules, in the order they are run (order only matters for the review UI's reasons).

Written for how customers answer a dunning mail: short, often ungrammatical, often several things at
once ("the goods came broken, so we won't pay until a credit note arrives"). Weights: 0.9 for a phrase
that by itself says the intent, 0.7–0.8 for a strong hint, 0.5–0.6 for one a person should confirm.
"""

from __future__ import annotations

import re
from dataclasses import replace

from worker.classify.rules import Language, Rule, rule
from worker.domain import Intent

PAID, PROMISE, PLAN, DISPUTE, OTHER = (
    Intent.PAID,
    Intent.PROMISE_TO_PAY,
    Intent.PAYMENT_PLAN,
    Intent.DISPUTE,
    Intent.OTHER,
)

_NEG = (
    r"\b(?:not|no|never|neither|nor|without|yet\s+to|unable\s+to|cannot|can't|cant|won't|wont|"
    r"haven't|havent|hasn't|hasnt|hadn't|didn't|didnt|don't|dont|doesn't|doesnt|isn't|isnt|wasn't|wasnt|"
    r"aren't|weren't|wouldn't|couldn't|shouldn't|"
    # an intention given up is no promise or payment: "I was going to pay this on Friday, but …"
    r"was\s+going\s+to|were\s+going\s+to|had\s+(?:planned|intended|meant|hoped)\s+to|was\s+about\s+to|"
    r"would\s+have)\b"
)
ENGLISH = Language(
    code="en",
    negation_before=re.compile(_NEG + r"(?:\s+\S+){0,4}\s*$", re.IGNORECASE),
    negation_after=re.compile(r"\s*(?:not|yet\?)\b", re.IGNORECASE),
    hedge=re.compile(r"\b(?:if|unless|whether|once|as soon as|in case|provided|upon)\b", re.IGNORECASE),
    clause_edge=re.compile(
        r"[,;:()–—]|\s-\s|\b(?:but|however|although|though|because|since|so|and|or|while)\b", re.IGNORECASE
    ),
    question=re.compile(
        # a '?', or (customers often leave it out) an inverted start with no full stop at the end:
        # "Did you get our payment" is a question, "Will be paid Thursday." is not
        r"\?\s*$|^\s*(?:(?:did|do|does|have|has|had|can|could|would|will|shall|should|is|are|was|were|may|might)"
        r"\s+(?:you|we|i|it|they|this|that|the|there|your|our|he|she)\b|(?:when|why|what|how|where|which|who)\b)"
        r"(?!.*\.\s*$)",
        re.IGNORECASE,
    ),
)

_WE = r"(?:we|i|we've|i've|we'd|i'd|our\s+(?:team|company|accounts?(?:\s+payable)?|finance|ap)(?:\s+\w+)?)"
_PAY_PAST = r"(?:paid|settled|remitted|wired|transferred)"
_PAYMENT = (
    r"(?:payment|transfer|remittance|wire|funds|money|amount|balance|invoice|bill|cheque|check|ach|deposit)"
)
_SENT_PAST = (
    r"(?:made|sent|processed|completed|executed|initiated|released|submitted|issued|transferred|remitted|"
    r"wired|settled|paid|cleared|posted|mailed|dispatched|actioned|done|approved\s+and\s+sent)"
)
_FUTURE = (
    r"(?:will|shall|would|to|can|could|should|must|going\s+to|gonna|need\s+to|needs\s+to|be|plan\s+to|"
    r"make\s+sure|ensure|see\s+to\s+it|so\s+that|once|until|after)"
)
_GOODS = (
    r"(?:goods|items?|order|delivery|deliveries|shipment|consignment|products?|parts?|package|parcel|"
    r"service|services|equipment|materials?|merchandise|stock|machine|software|licen[cs]es?|work)"
)
_INVOICE = r"(?:invoice|bill|statement|inv\b)"

RULES: tuple[Rule, ...] = (
    # --- paid -------------------------------------------------------------------------------------
    rule(
        "paid_already",
        PAID,
        0.92,
        r"\balready\s+(?:been\s+)?(?:paid|settled|remitted|transferred|wired|sent|taken\s+care\s+of|dealt\s+with)|"
        r"\b(?:we've|we\s+have|i've|i\s+have)\s+taken\s+care\s+of\s+(?:this|it|the\s+(?:invoice|payment|bill))",
        "'already paid' and its variants",
        question=0.8,
    ),
    rule(
        "paid_we_verb",
        PAID,
        0.9,
        _WE
        + r"\s+(?:have\s+|had\s+|has\s+)?(?:already\s+|just\s+|now\s+|finally\s+|also\s+)?"
        + _PAY_PAST
        + r"\b",
        "'we paid', 'I have transferred'",
        question=0.8,
    ),
    rule(
        "paid_we_sent_payment",
        PAID,
        0.9,
        _WE
        + r"\s+(?:have\s+|had\s+)?(?:already\s+|just\s+)?(?:made|sent|processed|initiated|completed|executed|"
        r"released|submitted|issued|arranged|mailed|posted)\s+(?:\w+\s+){0,3}?"
        r"(?:payment|transfer|remittance|wire|funds|money|cheque|check|ach|bank\s+transfer)",
        "'we sent the payment', 'I made the transfer'",
        question=0.8,
    ),
    rule(
        "paid_passive",
        PAID,
        0.88,
        r"\b(?:payment|transfer|remittance|wire|funds|money|amount|balance|invoice|bill|it|this|cheque|check|"
        r"ach|deposit)(?:\s+(?:of|for)\s+(?:invoice\s+)?\S+)?\s+(?:(?:has|have|had)\s+(?:already\s+)?been|was|were|is|got)"
        r"\s+(?:already\s+|just\s+)?" + _SENT_PAST + r"\b",
        "'the payment was made', 'the invoice has been paid'",
        blocker=r"\b" + _FUTURE + r"\s*$",
        question=0.8,
    ),
    rule(
        "paid_went_out",
        PAID,
        0.85,
        r"\b(?:payment|transfer|remittance|funds|money|it|cheque|check)(?:\s+for\s+(?:this|it|the\s+invoice))?"
        r"(?:\s+went|\s+has\s+gone|\s+have\s+gone|'s\s+gone|\s+was\s+sent)\s+out\b",
        "'the payment went out on Tuesday', 'money's gone out today'",
        question=0.8,
    ),
    rule(
        "paid_noun_done",
        PAID,
        0.85,
        r"\b(?:payment|bank\s+transfer|transfer|wire|remittance)\s+(?:done|sent|completed|made|executed|processed|"
        r"initiated)\b(?!\s+(?:by|before|until|on\s+\w+day)\b)",
        "'Bank transfer done this morning', 'Payment sent.'",
        blocker=r"\b" + _FUTURE + r"\s*$",
        question=0.6,
    ),
    rule(
        "paid_bare",
        PAID,
        0.7,
        r"\b(?:paid|settled)\b(?:\s+in\s+full|\s+on|\s+last|\s+yesterday|\s+this)?|"
        r"^\s*(?:done|ok|okay|all\s+done)?[,.!\s-]*(?:transferred|wired|remitted|sent)\s*[.!]*\s*$",
        "'paid' on its own, not after will/to/be; a reply that is only 'done, transferred.'",
        blocker=r"\b(?:" + _FUTURE + r"|get|got|getting|being|"
        r"when|until|till|before|unless|if|how)\s+(?:\w+\s+){0,2}$",
        question=0.6,
    ),
    rule(
        "paid_remittance_attached",
        PAID,
        0.9,
        r"\b(?:remittance(?:\s+advice|\s+slip|\s+details|\s+copy)?|proof\s+of\s+payment|payment\s+(?:confirmation|"
        r"advice|receipt|proof)|transfer\s+(?:confirmation|receipt|slip)|bank\s+(?:slip|confirmation)|"
        r"swift\s+(?:copy|confirmation|message)|mt103)\b(?:[^.?!]{0,40}\b(?:attached|enclosed|herewith|below))?",
        "remittance advice or proof of payment mentioned or attached",
        question=0.7,
    ),
    rule(
        "paid_please_find",
        PAID,
        0.85,
        r"\b(?:please\s+find|attached\s+(?:is|are|please\s+find)|enclosed\s+(?:is|please\s+find))\s+"
        r"(?:\w+\s+){0,3}(?:remittance|payment\s+(?:confirmation|advice|receipt|proof)|proof\s+of\s+payment|"
        r"transfer\s+(?:confirmation|receipt|slip)|receipt|swift|bank\s+(?:slip|confirmation))",
        "'please find attached the remittance'",
    ),
    rule(
        "paid_cheque_in_mail",
        PAID,
        0.85,
        r"\b(?:cheque|check)\s+(?:is|was|has\s+been)\s+(?:in\s+the\s+(?:mail|post)|posted|mailed|sent|on\s+its\s+way)|"
        r"\b(?:cheque|check)\s+(?:posted|mailed|sent|dispatched)\s+(?:today|yesterday|on|this|last)\b",
        "the cheque is in the mail; 'cheque posted today'",
    ),
    rule(
        "paid_should_arrive",
        PAID,
        0.75,
        r"\b(?:payment|transfer|funds|money|it)\s+(?:should|will|would|may)\s+(?:\w+\s+)?(?:arrive|reach|show|"
        r"appear|clear|land|reflect|be\s+(?:in|reflected|credited|received))",
        "'the funds should reach you' (said after sending)",
        blocker=r"\b(?:once|when|after)\b.*$",
    ),
    rule(
        "paid_received_question",
        PAID,
        0.78,
        r"\b(?:did|have|has)\s+(?:you|your\s+(?:team|bank|company))\s+(?:\w+\s+)?(?:receive[d]?|get|got|see|seen|"
        r"gotten)\s+(?:\w+\s+){0,2}(?:payment|transfer|remittance|funds|money|wire|cheque|check)|"
        r"\b(?:confirm|acknowledge)\s+(?:the\s+)?(?:receipt\s+of|that\s+you\s+(?:have\s+)?received)\s+"
        r"(?:\w+\s+){0,2}(?:payment|transfer|remittance|funds|wire)|"
        r"\b(?:payment|transfer|funds|remittance)\s+(?:has|have)\s+(?:not\s+)?(?:arrived|been\s+received|"
        r"come\s+through|reached\s+you|cleared)\s*\?",
        "asks whether our payment arrived: says it was sent",
        negatable=False,
    ),
    rule(
        "paid_yesterday",
        PAID,
        0.75,
        r"\b(?:payment|transfer|remittance)\s+(?:went\s+out|left|was\s+sent|went\s+through)|"
        r"\bwent\s+out\s+(?:yesterday|today|on|last)",
        "'the payment went out yesterday'",
    ),
    # --- promise to pay ---------------------------------------------------------------------------
    rule(
        "promise_will_pay",
        PROMISE,
        0.8,
        # a modal is required: "we pay in batches" describes a habit, "we'll pay" promises
        r"\b(?:we|i)(?:'ll|\s+will|\s+shall|'re\s+going\s+to|\s+are\s+going\s+to|'m\s+going\s+to|"
        r"\s+am\s+going\s+to)\s+"
        r"(?:definitely\s+|certainly\s+|surely\s+|then\s+|also\s+)?(?:be\s+able\s+to\s+)?"
        r"(?:pay|settle|transfer|remit|wire|clear|make\s+(?:the\s+|a\s+|full\s+|our\s+)?payment|process\s+"
        r"(?:the\s+|your\s+)?(?:payment|invoice)|send\s+(?:the\s+|you\s+)?(?:payment|funds|money|transfer|cheque|check))\b",
        "'we will pay', 'I'll transfer', 'we are going to settle'",
        question=0.4,
    ),
    rule(
        "promise_will_bare",
        PROMISE,
        0.72,
        r"(?<!you )(?<!they )(?<!who )(?:\b(?:will|shall)|'ll)\s+(?:\w+\s+)?(?:pay|settle|transfer|remit|"
        r"wire|send\s+(?:the\s+|you\s+)?(?:payment|funds|money|transfer))\b|"
        r"\b(?:payment|transfer|funds|money|cheque|check|remittance)\s+(?:will|shall|should)\s+(?:follow|go\s+out)\b|"
        r"(?:\b(?:will|shall|should)|'ll)\s+(?:be|get\s+(?:it|this|that|them|the\s+\w+))\s+(?:paid|settled|transferred|"
        r"processed|sent|cleared)\b",
        "'… but will pay', 'and will settle' (subject said earlier)",
        question=0.3,
    ),
    rule(
        "promise_retry",
        PROMISE,
        0.72,
        r"(?:\b(?:will|shall)|'ll)\s+(?:try|retry|attempt|resend|re-send|redo)\s+(?:(?:the\s+)?(?:payment|transfer|it)\s+)?"
        r"again\b|(?:\b(?:will|shall)|'ll)\s+(?:retry|resend|re-send)\s+(?:the\s+)?(?:payment|transfer)\b",
        "'the bank rejected it, will try again Monday': the payment is retried by a date",
        needs_date=True,
        question=0.3,
    ),
    rule(
        "promise_bank_asked",
        PROMISE,
        0.75,
        r"\b(?:asked|instructed|told)\s+(?:our|the|my)\s+bank\s+to\s+(?:send|transfer|pay|release|wire|process)\b",
        "'I've asked our bank to send it today'",
    ),
    rule(
        "promise_paying_now",
        PROMISE,
        0.75,
        r"\b(?:paying|settling|transferring|sending\s+(?:it|the\s+payment|payment|the\s+money))\s+(?:it\s+|this\s+)?"
        r"(?:now|today|right\s+now|right\s+away|straight\s+away|immediately|asap)\b",
        "'sorry, forgot - paying now': the payment is under way",
    ),
    rule(
        "promise_you_will_have_it",
        PROMISE,
        0.75,
        r"\byou(?:'ll|\s+will|\s+should)\s+(?:have|get|receive|see)\s+(?:it|the\s+(?:payment|money|funds|transfer|"
        r"balance)|payment|(?:the\s+)?funds)\b",
        "'you'll have it Monday': the payment arrives by a date",
        needs_date=True,
        question=0.3,
    ),
    rule(
        "promise_will_process",
        PROMISE,
        0.72,
        r"(?<!you )(?<!they )(?:\b(?:will|shall)|'ll)\s+(?:\w+\s+)?"
        r"(?:process|release|clear|action|approve|run|sort|deal\s+with|take\s+care\s+of|handle|arrange)\b",
        "'she will process it next Tuesday': a vague verb counts only with a date",
        needs_date=True,
        question=0.3,
    ),
    rule(
        "promise_tentative",
        PROMISE,
        0.6,
        r"\b(?:we|i)\s+(?:plan|intend|expect|aim|hope|should\s+be\s+able|are\s+planning|am\s+planning|"
        r"are\s+hoping|will\s+try|try)\s+to\s+(?:pay|settle|transfer|remit|make\s+(?:the\s+)?payment|clear)\b",
        "'we plan to pay', 'we hope to settle'",
        question=0.4,
    ),
    rule(
        "promise_passive",
        PROMISE,
        0.8,
        r"\b(?:payment|transfer|it|this|the\s+(?:invoice|balance|amount|bill)|invoice|balance|amount|funds)\s+"
        r"(?:will|shall|should|is\s+going\s+to)\s+(?:definitely\s+|certainly\s+|surely\s+|then\s+|also\s+)?(?:be\s+)?"
        r"(?:paid|made|sent|processed|settled|released|transferred|"
        r"remitted|wired|executed|scheduled|included|issued|cleared|done|effected)\b",
        "'payment will be made', 'the invoice will be paid'",
        question=0.4,
    ),
    rule(
        "promise_scheduled",
        PROMISE,
        0.85,
        r"\b(?:payment|transfer|it|invoice|this)(?:'s|\s+is|\s+has\s+been|\s+was|\s+are|\s+have\s+been)\s+"
        r"(?:now\s+|been\s+)?(?:\w+\s+(?:and\s+)?){0,2}?(?:scheduled|planned|queued|"
        r"set\s+up|booked|lined\s+up|due\s+to\s+go\s+out)|\bscheduled\s+(?:the\s+|your\s+)?(?:payment|transfer)|"
        r"\b(?:next|upcoming|our)\s+(?:payment|pay|cheque|check)\s+run\b|\bpayment\s+run\b|"
        r"\b(?:\w+day's|tomorrow's|(?:this|next)\s+week's)\s+(?:payment\s+|pay\s+|bacs\s+|ach\s+|cheque\s+)?run\b|"
        r"\badded\s+(?:it|this|the\s+invoice|your\s+invoice)\s+to\s+(?:our|the)\s+(?:next\s+)?(?:payment|batch)",
        "payment scheduled or in the next payment run",
    ),
    rule(
        "promise_approved",
        PROMISE,
        0.6,
        r"\b(?:invoice|it|this)\s+(?:is|has\s+been|was)\s+(?:now\s+)?(?:approved|released|authori[sz]ed|"
        r"passed|submitted|forwarded)\s+(?:for\s+payment|to\s+(?:our\s+|the\s+)?(?:accounts\s+payable|ap|finance|"
        r"accounting|payments?\s+team))",
        "invoice approved or passed on for payment",
    ),
    rule(
        "promise_pay_with_date",
        PROMISE,
        0.72,
        r"\b(?:pay(?:ment)?|settle(?:ment)?|transfer|remit(?:tance)?|wire|funds)\b",
        "a payment word in a sentence that names a date",
        needs_date=True,
        question=0.5,
        # our own reminder's "please arrange payment by 10 March" is a request, not the customer's promise
        blocker=r"\b(?:due|overdue|invoice\s+date|dated|issued|terms|please|kindly|ask|request|reminder)\b.*$",
        # "our payment system changes next month": the word names a thing, not a payment
        blocker_after=r"^\s*(?:system|systems|portal|method|methods|details|platform|provider|process|software|link|"
        r"page|team|department|address|information|info)\b",
    ),
    rule(
        "promise_not_until_date",
        PROMISE,
        0.7,
        r"\b(?:can(?:no|')?t|cannot|unable\s+to|won't\s+be\s+able\s+to|not\s+able\s+to)\s+(?:\w+\s+){0,2}"
        r"(?:pay|settle|transfer|make\s+(?:the\s+)?payment)\b[^.?!]{0,50}\b(?:until|before|till)\b",
        "'we cannot pay until the 30th': a later date is a promise",
        negatable=False,
        needs_date=True,
    ),
    # --- payment plan -----------------------------------------------------------------------------
    rule(
        "plan_instalments",
        PLAN,
        0.9,
        r"\binstal+(?:ment)?s?\b|\binstal+ments?\b|\bpayment\s+(?:plan|arrangement)\b|\brepayment\s+plan\b",
        "instalments or a payment plan",
        negatable=False,
    ),
    rule(
        "plan_count_of_payments",
        PLAN,
        0.85,
        r"\b(?:two|three|four|five|six|ten|twelve|\d{1,2})\s+(?:equal\s+|monthly\s+|weekly\s+|separate\s+|smaller\s+)?"
        r"(?:payments|instal+ments|tranches|transfers|remittances)\b|"
        r"\bin\s+(?:two|three|four|five|six|\d)\s+(?:equal\s+)?(?:parts|portions|halves|stages|lots)\b",
        "'three payments of £400', 'in two parts'",
        negatable=False,
    ),
    rule(
        "promise_make_sure",
        PROMISE,
        0.75,
        r"\b(?:make\s+sure|ensure|see\s+to\s+it)\s+(?:that\s+)?(?:this|it|the\s+\w+|your\s+invoice)\s+"
        r"(?:is|gets|will\s+be)\s+(?:paid|settled|processed)",
        "'I'll make sure this is paid'",
        question=0.4,
    ),
    rule(
        "plan_split",
        PLAN,
        0.88,
        r"\b(?:split|divide|break|spread|spreading|splitting)\s+(?:\S+\s+){0,5}?(?:into|over|across|in)\s+(?:\w+\s+){0,2}?"
        r"(?:\d+|two|three|four|five|six|several|multiple|monthly|equal|smaller)?\s*(?:payments?|parts?|"
        r"instal+ments?|months?|tranches?|portions?|amounts?|chunks?|halves)\b|"
        r"\bpay\s+(?:it\s+|this\s+|the\s+\w+\s+)?in\s+(?:\d+|two|three|four|five|six|several|multiple|monthly|equal)\s+"
        r"(?:payments?|parts?|instal+ments?|tranches?|portions?|installments?|amounts?)",
        "'split into three payments', 'pay in two parts'",
        negatable=False,
    ),
    rule(
        "plan_partial",
        PLAN,
        0.85,
        r"\bpay\s+(?:you\s+)?(?:half|part|a\s+part|a\s+portion|some|\d+\s*%|\d+\s+percent|a\s+first\s+part)"
        r"(?:\s+of\s+(?:it|the\s+\w+))?\s+(?:now|first|today|this\s+(?:week|month)|immediately|upfront)|"
        r"\b(?:the\s+)?(?:rest|remainder|remaining\s+(?:amount|balance)|balance|other\s+half)\s+(?:will\s+follow|"
        r"(?:will\s+be\s+paid\s+|we\s+will\s+pay\s+|to\s+follow\s+)?(?:next|later|in\s+\w+|by|at\s+the\s+end))|"
        r"\bpartial\s+payments?\b|\bpart[- ]payments?\b|"
        r"(?:[$€£¥]\s?\d[\d,.]*|\bhalf|\bpart\s+of\s+it)\s+now\s+and\s+(?:the\s+rest|the\s+remainder|the\s+balance|"
        r"[$€£¥]\s?\d[\d,.]*|the\s+other\s+half)|\bone\s+now\s+and\s+(?:one|the\s+other|the\s+rest)\b|"
        r"\bpay\s+(?:[$€£¥]\s?)?\d[\d,.]*\s+now\s+and\s+(?:the\s+)?(?:rest|remainder|remaining|balance|other)",
        "pay half now, the rest later",
        negatable=False,
    ),
    rule(
        "plan_monthly",
        PLAN,
        0.8,
        r"\b(?:monthly|weekly)\s+(?:payments?|amounts?|instal+ments?)\b|"
        r"\b(?:\d{1,3}\s?%|\d{1,3}\s+percent)\s+(?:a|per|each|every)\s+(?:month|week)\b|"
        r"\b(?:on|by)\s+the\s+\d{1,2}(?:st|nd|rd|th)?\s+of\s+(?:each|every)\s+month\b|"
        r"\b(?:pay|paying|spread|split|payments?|instal+ments?)\b[^.?!]{0,40}\bover\s+(?:the\s+next\s+)?(?:two|three|four|"
        r"five|six|twelve|\d{1,2})\s+(?:months|weeks)\b|"
        r"(?:[$€£¥]\s?\d[\d,.]*|\b\d[\d,.]*\s?(?:usd|eur|gbp|jpy|dollars|pounds|euros?))\s+(?:a|per|each|every)\s+"
        r"(?:month|week|fortnight|quarter)\b|\bone\s+(?:invoice\s+)?(?:a|per|each|every)\s+month\b|"
        r"\bpay\s+(?:this|it|the\s+\w+)\s+off\b|"
        r"\b(?:agree|set\s+up|arrange|propose|suggest|work\s+out)\s+(?:on\s+)?(?:a\s+|an\s+)?(?:(?:re)?payment\s+)?"
        r"(?:schedule|plan|arrangement)\b",
        "monthly payments of a fixed amount",
        negatable=False,
    ),
    rule(
        "plan_extension",
        PLAN,
        0.6,
        r"\b(?:extension|extend\s+(?:the\s+)?(?:payment\s+)?(?:terms|deadline|due\s+date)|more\s+time|"
        r"extra\s+time|defer(?:ral)?|postpone|delay\s+(?:the\s+)?payment|grace\s+period)\b",
        "asks for more time without naming a date",
        negatable=False,
        needs_date=False,
    ),
    rule(
        "plan_extension_dated",
        PLAN,
        0.7,
        r"\b(?:give|allow|grant)\s+(?:us|me)\s+(?:until|till|to|a\s+(?:few|couple\s+of)\s+(?:more\s+)?(?:days|weeks)|"
        r"(?:some\s+)?(?:more|extra)\s+(?:time|days|weeks))\b",
        "asks to be given more time, until a date: a person agrees or not",
        negatable=False,
    ),
    rule(
        "plan_hardship",
        PLAN,
        0.55,
        r"\b(?:cash\s*flow|financial\s+(?:difficult(?:y|ies)|hardship|trouble)|(?:can't|cannot|unable\s+to)\s+"
        r"(?:afford|pay\s+(?:the\s+)?(?:full|whole|entire|total))|tight\s+(?:month|budget))",
        "cannot pay it all at once",
        negatable=False,
    ),
    # --- dispute ----------------------------------------------------------------------------------
    rule(
        "dispute_wrong_amount",
        DISPUTE,
        0.88,
        r"\b(?:amount|price|prices|total|invoice|figure|charge|charges|rate|quantity|calculation|vat|tax|sum)\s+"
        r"(?:is|are|was|seems|seem|looks|appears)\s+(?:to\s+be\s+)?(?:\w+\s+)?(?:wrong|incorrect|too\s+high|"
        r"not\s+correct|inaccurate|different|off|higher\s+than|more\s+than|excessive|inflated)|"
        r"\b(?:wrong|incorrect|inaccurate)\s+(?:amount|price|total|invoice|rate|quantity|vat|tax|figure|charge|"
        r"sum|billing)|\b(?:an?\s+)?(?:error|mistake|discrepancy|errors|mistakes)\s+(?:in|on|with)\s+(?:the\s+)?"
        r"(?:unit\s+)?(?:price|prices|amount|invoice|total|quantity|rate|vat|tax|line|calculation|billing|figures?)\b|"
        r"\b(?:over-?charged|over-?billed|double[- ]?(?:charged|billed|invoiced)|"
        r"(?:billed|charged|"
        r"invoiced)\s+(?:us\s+)?twice|duplicate\s+(?:invoice|charge|billing)|(?:is\s+a\s+)?duplicate\s+of)\b|"
        r"\bdoes(?:n't|\s+not)\s+match\s+(?:our|the)\s+(?:po|purchase\s+order|quote|quotation|agreement|contract|"
        r"order|price)|\bnot\s+what\s+we\s+agreed|\bagreed\s+(?:on\s+|to\s+)?(?:a\s+)?(?:different|lower)",
        "the amount is wrong, overcharged, billed twice",
        negatable=False,
    ),
    rule(
        "dispute_mismatch",
        DISPUTE,
        0.85,
        r"\b(?:quantit(?:y|ies)|amounts?|figures?|numbers?|totals?|prices?|hours|units|rates?|count)\s+"
        r"(?:do\s+not|don't|does\s+not|doesn't|did\s+not|didn't)\s+(?:match|add\s+up|tally|agree)|"
        r"\binvoiced\s+\d[\d,.]*[^.]{0,20}\b(?:delivered|received|shipped)\s+(?:only\s+)?\d|"
        r"\b(?:charged|billed|invoiced|shows?|says?|lists?|states?)\s+(?:us\s+|me\s+)?(?:for\s+)?\d[\d,.]*\s+\w+"
        r"[^.]{0,60}\b(?:only|just)\b|\b(?:only|just)\s+\d[\d,.]*\s+(?:\w+\s+)?(?:arrived|came|turned\s+up|"
        r"were\s+delivered|was\s+delivered|delivered|received|shipped|were\s+in\s+the\s+box)|"
        r"\b(?:hours|days|units|items|quantity|quantities|amount|time)\s+(?:billed|charged|invoiced)\s+(?:is|are|was|"
        r"were)\s+(?:\w+\s+)?(?:higher|more|greater)\s+than|"
        r"\b(?:invoice|bill)\s+(?:shows?|says?|lists?|states?)\s+\d[\d,.]*\s+\w+[^.]{0,40}\b(?:our|my|the)\s+"
        r"(?:timesheets?|records?|delivery\s+notes?|counts?|logs?|po|purchase\s+order)\s+(?:shows?|says?|lists?|states?)\s+\d",
        "quantities or amounts do not match what was delivered; more hours billed than worked",
        negatable=False,
    ),
    rule(
        "dispute_correction",
        DISPUTE,
        0.72,
        r"\b(?:corrected|revised|amended|adjusted)\s+invoice|\b(?:correct|fix|amend|adjust|revise)\s+"
        r"(?:the\s+|this\s+|your\s+)?(?:invoice|quantity|quantities|price|prices|amount|total|vat|line\s+\d+)\b",
        "asks for a corrected invoice: the one sent is wrong",
        negatable=False,
    ),
    rule(
        "dispute_disagree",
        DISPUTE,
        0.85,
        r"\b(?:do\s+not|don't|dont|cannot|can't|can\s+not|did\s+not|didn't)\s+agree\s+(?:with|to)\s+(?:this|the|these|"
        r"your|that)\s+(?:\w+\s+)?(?:charges?|invoice|amount|bill|fees?|price|pricing|increase|rate|total)\b|"
        r"\b(?:only|just)\s+(?:agreed|ordered|signed\s+up|committed)\s+(?:to\s+pay\s+for|for|to\s+(?:the\s+)?(?:first|one|"
        r"two|part|half|\d))|"
        r"\b(?:supposed|meant|expected)\s+to\s+be\s+(?:free|included|covered|waived|complimentary|no\s+charge)\b|"
        r"\bshould\s+(?:have\s+been|be)\s+(?:free|included|covered|waived)\b|"
        r"\b(?:were|was|been|are|is)\s+(?:charged|billed|invoiced)\s+for\b[^.?!]{0,40}\bbut\s+(?:it|they|we|the\s+\w+)\s+"
        r"(?:came|arrived|got|received|only|didn't|did\s+not|wasn't|weren't|was\s+not|were\s+not)\b|"
        r"\bwhy\s+(?:are|should|would|do|must)\s+(?:we|i)\s+(?:be\s+)?(?:pay|paying|charged|billed)\s+for\b",
        "does not agree with the charge; only agreed to part; it was meant to be free; why should we pay",
        negatable=False,
    ),
    rule(
        "dispute_reduction",
        DISPUTE,
        0.8,
        r"\b(?:expect|expecting|request|requesting|ask\s+for|asking\s+for|entitled\s+to|owed)\s+(?:a\s+|an\s+)?"
        r"(?:reduction|discount|credit|refund|rebate|price\s+reduction)\b|"
        r"\b(?:should|must|needs?\s+to)\s+be\s+(?:reduced|lowered|corrected|amended)\b|"
        r"\bservice\s+levels?\s+(?:was|were|has\s+not\s+been|have\s+not\s+been)\s+(?:not\s+)?met\b|"
        r"\bsla\s+(?:breach|was\s+not\s+met|not\s+met|was\s+missed)",
        "expects a reduction or credit; the invoice should be reduced",
        negatable=False,
    ),
    rule(
        "dispute_legal",
        DISPUTE,
        0.75,
        r"\b(?:our|my)\s+(?:legal\s+(?:team|department|counsel|advisers?|advisors?)|lawyers?|solicitors?|attorneys?)\b|"
        r"\bunder\s+(?:review|investigation)\s+(?:by|with)\s+(?:our\s+)?(?:legal|lawyers?|solicitors?|attorneys?)",
        "the invoice is with the customer's lawyers",
        negatable=False,
    ),
    rule(
        "dispute_not_received_goods",
        DISPUTE,
        0.88,
        r"\b(?:have\s+not|haven't|havent|has\s+not|hasn't|not\s+yet|never|did\s+not|didn't|didnt|still\s+not|"
        r"still\s+haven't|still\s+have\s+not|yet\s+to)\s+(?:\w+\s+)?(?:receive[d]?|got|get|gotten|been\s+delivered|"
        r"arrived|been\s+provided|been\s+performed|been\s+completed|been\s+shipped)\b"
        r"(?!\s+(?:\w+\s+){0,3}?(?:invoice|bill|statement|reminder|e-?mail|mail|letter|copy|pdf|payment|"
        r"transfer|funds|money|remittance|message|notice|reply|response|details|documents?)\b)"
        r"(?:\s+(?:\w+\s+){0,3}?" + _GOODS + r"\b)?",
        "goods, order or service not received",
        negatable=False,
        blocker=r"\b(?:invoice|bill|statement|reminder|email|mail|letter|copy|pdf)\b[^.]*$",
    ),
    rule(
        "dispute_goods_missing",
        DISPUTE,
        0.88,
        r"\b"
        + _GOODS
        + r"\s+(?:\w+\s+)?(?:(?:is|are|was|were|has|have)\s+)?(?:still\s+)?(?:missing|outstanding|"
        r"lost|not\s+(?:yet\s+)?(?:arrived|been\s+delivered|delivered|received|shipped|here|complete|completed|"
        r"provided|performed|done|finished)|never\s+(?:arrived|came|turned\s+up|delivered|received|completed|finished|done|provided|performed|started)|"
        r"(?:has|have)n't\s+(?:arrived|been\s+delivered|come))",
        "the goods are missing or have not arrived",
        negatable=False,
    ),
    rule(
        "dispute_defective",
        DISPUTE,
        0.86,
        r"\b(?:broken|damaged|defective|faulty|not\s+working|doesn't\s+work|does\s+not\s+work|don't\s+work|"
        r"stopped\s+working|poor\s+quality|sub-?standard|unusable|malfunction(?:ing|ed)?|arrived\s+(?:damaged|broken)|"
        r"wrong\s+(?:item|items|product|products|goods|size|model|colou?r|parts?|order)|"
        r"incomplete\s+(?:delivery|order|shipment|work)|short[- ]?(?:shipped|delivered|shipment)|"
        r"missing\s+(?:items?|parts?|pieces?|units?)|not\s+as\s+(?:described|ordered|agreed|specified)|"
        r"not\s+fit\s+for\s+purpose|quality\s+(?:issue|problem)s?)\b",
        "the goods or work are defective, wrong or incomplete",
        # "the link doesn't work", "the PDF is broken": trouble reading our mail, not a fault in the goods
        blocker=r"\b(?:link|url|button|portal|web\s?site|web\s?page|log-?in|password|pdf|attachment|download)s?\b",
    ),
    rule(
        "dispute_never_ordered",
        DISPUTE,
        0.88,
        r"\b(?:never|did\s+not|didn't|didnt|have\s+not|haven't)\s+(?:\w+\s+)?(?:ordered|order|placed\s+(?:an|this|"
        r"the|any)\s+order|requested|authori[sz]ed|signed\s+up|agreed\s+to|purchased|bought|use[d]?)\b|"
        r"\bnot\s+our\s+(?:invoice|order|bill)|\bnot\s+(?:for|addressed\s+to)\s+us\b|"
        r"\b(?:do\s+not|don't|dont|does\s+not|doesn't)\s+owe\b|\bunauthori[sz]ed\s+(?:charge|order|purchase|invoice|work)|"
        r"\b(?:charge|invoice|order|purchase|work|this)\s+(?:was|were|is)\s+(?:never\s+|not\s+)authori[sz]ed|"
        r"\bno\s+(?:record|trace)\s+of\s+(?:this|the|any|such)\s+(?:order|purchase|contract|agreement)|"
        r"\b(?:no|(?:do\s+not|don't|dont)\s+have\s+any)\s+record\s+of\s+(?:ever\s+)?(?:dealing|doing\s+business|working|"
        r"an?\s+account|ordering)\b|"
        r"\bwe\s+are\s+not\s+(?:your|a)\s+customer|\bwrong\s+(?:company|customer|recipient\s+company)|"
        # passive forms; not "has not been approved yet", which is the customer's own sign-off still pending
        r"\b(?:was|were|has|have|had)\s+never\s+(?:been\s+)?(?:agreed|authori[sz]ed|ordered|requested)\b|"
        r"\b(?:was|were|has|have|had)\s+not\s+(?:been\s+)?(?:agreed|ordered|requested)\b|"
        r"\b(?:do\s+not|don't|dont|cannot|can't|can\s+not|could\s+not|couldn't)\s+recogni[sz]e\s+(?:this|the|these|"
        r"your|that)\s+(?:invoice|charge|bill|amount|order|transaction|company)",
        "never ordered or agreed to it; not our invoice",
        negatable=False,
    ),
    rule(
        "dispute_credited",
        DISPUTE,
        0.82,
        r"\b(?:already\s+)?(?:credited|refunded)\b|\bcredit\s+(?:note|memo)\b|"
        r"\b(?:we\s+)?(?:returned|sent\s+back)\s+(?:the\s+|all\s+(?:the\s+)?)?(?:goods|items?|order|products?|"
        r"them|it|everything|shipment)|\b(?:order|contract|subscription|service)\s+(?:was|has\s+been|were)\s+"
        r"(?:cancel+ed|terminated)|\bcancel+ed\s+(?:the|this|our|that)\s+(?:order|contract|subscription)",
        "already credited, returned or cancelled",
        negatable=False,
    ),
    rule(
        "dispute_refuse",
        DISPUTE,
        0.82,
        r"\b(?:will\s+not|won't|wont|refuse\s+to|not\s+going\s+to|do\s+not\s+intend\s+to|don't\s+intend\s+to|"
        r"shall\s+not|cannot\s+accept|can't\s+accept|do\s+not\s+accept|don't\s+accept|reject|rejecting|"
        r"not\s+liable\s+(?:for|to))\s+(?:\w+\s+)?(?:pay|paying|this\s+invoice|the\s+invoice|these\s+charges|"
        r"the\s+charges?|this\s+charge|the\s+amount|payment)\b",
        "refuses to pay or rejects the invoice",
        negatable=False,
        needs_date=False,
    ),
    rule(
        "dispute_not_until_sorted",
        DISPUTE,
        0.8,
        r"\b(?:will\s+not|won't|wont|not\s+going\s+to)\s+(?:\w+\s+)?until\s+(?:this|it|that|the\s+\w+)\s+"
        r"(?:is|are|has\s+been|have\s+been|gets?)\s+(?:sorted|fixed|resolved|corrected|repaired|replaced|delivered|"
        r"credited|cleared\s+up)|"
        r"\b(?:hold\s+off|wait|put\s+(?:it|this|the\s+\w+)\s+on\s+hold)\b[^.?!]{0,30}\buntil\s+(?:this|it|that|the\s+"
        r"\w+|our\s+\w+)\s+(?:is|are|has\s+been|have\s+been|gets?)\s+(?:sorted|fixed|resolved|corrected|clarified|"
        r"answered|cleared\s+up)",
        "won't pay, or asks to hold off, until the problem is sorted",
        negatable=False,
    ),
    rule(
        "dispute_not_deducted",
        DISPUTE,
        0.85,
        r"\bshould\s+(?:only\s+)?(?:be|have\s+been)\s+[$€£¥]?\s?\d[\d,.]*\s*,?\s*(?:and\s+)?not\s+[$€£¥]?\s?\d|"
        r"\b(?:not|n't|never)\s+been\s+(?:deducted|credited|applied|taken\s+off|offset|accounted\s+for)|"
        r"\b(?:deposit|credit|payment)\s+(?:was\s+|is\s+)?not\s+(?:deducted|applied|taken\s+into\s+account)",
        "a deposit or credit not deducted; 'should be X, not Y'",
        negatable=False,
    ),
    rule(
        "dispute_told_otherwise",
        DISPUTE,
        0.75,
        r"\b(?:we\s+)?(?:were|was)\s+(?:told|promised|quoted|assured|advised)\b[^.?!]{0,50}\b(?:free|included|"
        r"no\s+charge|not\s+be\s+charged|cheaper|lower|less|discount)|\b(?:quote|quotation|contract|agreement|"
        r"order\s+confirmation)\s+(?:said|says|stated|states|shows|showed)\b|"
        r"\b(?:was|were|is|are)(?:\s+not|n't)\s+(?:on|in|part\s+of|included\s+in|mentioned\s+in)\s+(?:the|our|your)\s+"
        r"(?:quote|quotation|order|po|purchase\s+order|contract|agreement|estimate)\b",
        "we were told it was free / the quote said otherwise / it was not on the quote",
        negatable=False,
    ),
    rule(
        "dispute_terms",
        DISPUTE,
        0.75,
        r"\b(?:is|was|are|were)(?:\s+not|n't)\s+(?:yet\s+)?(?:overdue|late|past\s+due)\b|"
        r"\b(?:is|was|are|were)(?:\s+not|n't)\s+(?:yet\s+)?due\s+(?:yet|until)\b",
        "says the invoice is not overdue yet: the terms or the due date are in question",
        negatable=False,
    ),
    rule(
        "dispute_late_fee",
        DISPUTE,
        0.8,
        r"\b(?:why|waive|remove|cancel|dispute|unfair|not\s+(?:accept|pay|agree))[^.?!]{0,40}\b(?:late\s+(?:payment\s+)?"
        r"(?:fee|charge|interest)|penalty|interest\s+charge)|\blate\s+(?:payment\s+)?(?:fee|charge|interest)[^.?!]{0,40}"
        r"(?:waive|remov|cancel|unfair|not\s+(?:acceptable|justified|agreed))",
        "contests a late fee or interest",
        negatable=False,
    ),
    rule(
        "dispute_word",
        DISPUTE,
        0.8,
        r"\b(?:dispute|disputing|disputed|contest|contesting|complaint|dissatisfied|unsatisfied|not\s+satisfied|"
        r"unacceptable|query\s+(?:on|about|regarding|with)\s+(?:this|the|your)\s+invoice|"
        r"withhold(?:ing)?\s+(?:the\s+)?payment|on\s+hold\s+(?:until|pending|because)|put\s+(?:the\s+)?"
        r"(?:payment|invoice)\s+on\s+hold)\b",
        "dispute, complaint, payment withheld",
    ),
    # --- other ------------------------------------------------------------------------------------
    rule(
        "other_resend_invoice",
        OTHER,
        0.75,
        r"\b(?:re-?send|send\s+(?:us\s+|me\s+)?(?:again\s+)?(?:a\s+)?(?:copy|another|the\s+invoice|the\s+original|"
        r"a\s+new\s+invoice)|copy\s+of\s+(?:the\s+)?invoice|re-?issue|updated\s+invoice)\b|"
        r"\b(?:have\s+not|haven't|never|did\s+not|didn't|not)\s+(?:\w+\s+)?(?:received|got|seen)\s+(?:\w+\s+){0,2}"
        + _INVOICE
        + r"|\b(?:can't|cannot|couldn't|unable\s+to)\s+(?:find|locate|open)\s+(?:\w+\s+){0,2}"
        + _INVOICE,
        "asks for the invoice again",
        negatable=False,
    ),
    rule(
        "other_wrong_contact",
        OTHER,
        0.75,
        r"\bwrong\s+(?:person|contact|address|email|department)|\bno\s+longer\s+(?:works?|with|employed|at|"
        r"responsible|handl)|\bleft\s+the\s+company|\bnot\s+the\s+(?:right|correct)\s+(?:person|contact)|"
        r"\bplease\s+(?:contact|send\s+(?:it|invoices|this)\s+to|direct|redirect|forward)|"
        r"\b(?:forwarded|passed)\s+(?:this|it|your\s+(?:email|mail))\s+(?:on\s+)?to\b|\bunsubscribe\b|"
        r"\bremove\s+me\b|\bcc\b.{0,20}\baccounts",
        "wrong contact; redirect to someone else",
        negatable=False,
    ),
    rule(
        "other_bank_details",
        OTHER,
        0.7,
        r"\bbank\s+(?:details|account|information|info)|\baccount\s+(?:number|details)|\biban\b|\bswift\s+code|"
        r"\bbic\b|\bsort\s+code|\brouting\s+number|\bremit[- ]to\b|\bwhere\s+(?:should|do|can)\s+(?:we|i)\s+"
        r"(?:pay|send)|\bhow\s+(?:can|do|should)\s+(?:we|i)\s+pay|\bpay\s+by\s+(?:credit\s+)?card|"
        r"\bpayment\s+(?:methods?|link|portal)",
        "asks for bank details or how to pay",
        negatable=False,
    ),
    rule(
        "other_paperwork",
        OTHER,
        0.7,
        r"\b(?:po|purchase\s+order)\s+(?:number|no\.?|#)|\bw-?9\b|\bvendor\s+(?:form|registration|setup|number)|"
        r"\bsupplier\s+(?:form|registration|setup|number)|\bstatement\s+of\s+account|\bwhich\s+invoice|"
        r"\btax\s+(?:id|number|form)",
        "needs a PO number, vendor form or statement",
        negatable=False,
    ),
    rule(
        "other_looking_into",
        OTHER,
        0.6,
        r"\b(?:look(?:ing)?\s+into|check(?:ing)?\s+(?:with|on|this|it|internally)|get\s+back\s+to\s+you|"
        r"follow\s+up|investigat(?:e|ing)|will\s+revert|noted|received\s+your\s+(?:email|reminder|message))",
        "acknowledges and will look into it",
        negatable=False,
    ),
)

# Words a rule cannot match without (lower case). A rule runs only when the reply holds one of them: a
# substring test costs a fraction of a regex pass, and most rules have nothing to find in most replies.
TRIGGERS: dict[str, tuple[str, ...]] = {
    "paid_already": ("already", "taken care"),
    "paid_we_verb": ("paid", "settled", "remitted", "wired", "transferred"),
    "paid_we_sent_payment": (
        "payment",
        "transfer",
        "remittance",
        "wire",
        "funds",
        "money",
        "cheque",
        "check",
        "ach",
    ),
    "paid_passive": (
        "made",
        "sent",
        "processed",
        "completed",
        "executed",
        "initiated",
        "released",
        "submitted",
        "issued",
        "transferred",
        "remitted",
        "wired",
        "settled",
        "paid",
        "cleared",
        "posted",
        "mailed",
        "dispatched",
        "actioned",
        "done",
        "approved",
    ),
    "paid_bare": ("paid", "settled", "transferred", "wired", "remitted", "sent"),
    "paid_remittance_attached": ("remittance", "proof", "payment", "transfer", "bank", "swift", "mt103"),
    "paid_please_find": ("please find", "attached", "enclosed"),
    "paid_cheque_in_mail": ("cheque", "check"),
    "paid_should_arrive": (
        "arrive",
        "reach",
        "show",
        "appear",
        "clear",
        "land",
        "reflect",
        "be in",
        "be credited",
        "be received",
    ),
    "paid_received_question": (
        "receiv",
        "get",
        "got",
        "see",
        "seen",
        "confirm",
        "acknowledge",
        "arrived",
        "come through",
        "reached",
        "cleared",
    ),
    "paid_yesterday": ("went", "left", "was sent"),
    "promise_will_bare": ("will", "shall", "'ll", "should"),
    "promise_will_process": ("will", "shall", "'ll"),
    "promise_you_will_have_it": ("you'll", "you will", "you should"),
    "promise_paying_now": ("paying", "settling", "transferring", "sending"),
    "promise_bank_asked": ("bank",),
    "promise_retry": ("again", "retry", "resend", "re-send"),
    "promise_will_pay": ("pay", "settle", "transfer", "remit", "wire", "clear", "process", "send"),
    "promise_tentative": ("plan", "intend", "expect", "aim", "hope", "able", "try"),
    "promise_passive": ("will", "shall", "should", "going to"),
    "paid_went_out": ("went out", "gone out", "sent out"),
    "promise_scheduled": (
        "schedul",
        "planned",
        "queued",
        "set up",
        "booked",
        "lined up",
        "due to go",
        "run",
        "added",
    ),
    "promise_approved": ("approved", "released", "authori", "passed", "submitted", "forwarded"),
    "promise_pay_with_date": ("pay", "settle", "transfer", "remit", "wire", "funds"),
    "promise_not_until_date": ("until", "before", "till"),
    "plan_instalments": ("instal", "plan", "arrangement"),
    "plan_split": ("split", "divide", "break", "spread", "pay"),
    "plan_partial": (" now", "half", "part", "portion", "some", "%", "percent", "rest", "remain", "balance"),
    "plan_monthly": (
        "over",
        "per",
        "monthly",
        "weekly",
        "month",
        "week",
        "fortnight",
        "quarter",
        "schedule",
        "plan",
        "arrangement",
        " off",
    ),
    "plan_extension": ("extension", "extend", "time", "defer", "postpone", "delay", "grace"),
    "plan_extension_dated": ("give", "allow", "grant"),
    "plan_hardship": ("cash", "financial", "afford", "tight"),
    "dispute_wrong_amount": (
        "error",
        "mistake",
        "discrepanc",
        "wrong",
        "incorrect",
        "high",
        "correct",
        "inaccurate",
        "different",
        "off",
        "more than",
        "excessive",
        "inflated",
        "charged",
        "billed",
        "invoiced",
        "duplicate",
        "charged",
        "match",
        "agreed",
    ),
    "dispute_not_received_goods": (
        "receiv",
        "got",
        "get",
        "delivered",
        "arrived",
        "provided",
        "performed",
        "completed",
        "shipped",
    ),
    "dispute_goods_missing": ("missing", "outstanding", "lost", "not", "never", "n't"),
    "dispute_defective": (
        "broken",
        "damaged",
        "defective",
        "faulty",
        "work",
        "quality",
        "standard",
        "unusable",
        "malfunction",
        "wrong",
        "incomplete",
        "short",
        "missing",
        "not as",
        "not fit",
    ),
    "dispute_never_ordered": (
        "record",
        "recogni",
        "agreed",
        "owe",
        "order",
        "request",
        "authori",
        "signed up",
        "agreed to",
        "purchased",
        "bought",
        "use",
        "not our",
        "not for",
        "not addressed",
        "no record",
        "no trace",
        "customer",
        "wrong",
    ),
    "dispute_mismatch": (
        "show",
        "say",
        "than",
        "match",
        "add up",
        "tally",
        "agree",
        "delivered",
        "received",
        "shipped",
        "only",
        "just",
    ),
    "plan_count_of_payments": ("payments", "instal", "tranches", "transfers", "remittances", "parts", "portions",
                               "halves", "stages", "lots"),
    "dispute_late_fee": ("late", "penalty", "interest"),
    "dispute_terms": ("overdue", "late", "past due", "due"),
    "dispute_told_otherwise": (
        "quote",
        "order",
        "po",
        "contract",
        "agreement",
        "estimate",
        "told",
        "promised",
        "quoted",
        "assured",
        "advised",
        "said",
        "says",
        "stated",
        "states",
        "shows",
        "showed",
    ),
    "paid_noun_done": ("done", "sent", "completed", "made", "executed", "processed", "initiated"),
    "promise_make_sure": ("make sure", "ensure", "see to it"),
    "dispute_correction": ("correct", "revis", "amend", "adjust", "fix"),
    "dispute_disagree": ("agree", "only", "just", "supposed", "meant", "expected", "should", "charged", "billed",
                         "invoiced", "why"),
    "dispute_reduction": ("reduc", "discount", "credit", "refund", "rebate", "lower", "adjust", "correct", "amend",
                          "service level", "sla"),
    "dispute_legal": ("legal", "lawyer", "solicitor", "attorney"),
    "dispute_not_until_sorted": ("until",),
    "dispute_not_deducted": ("should", "been", "deposit", "credit", "payment"),
    "dispute_credited": ("credit", "refunded", "returned", "sent back", "cancel", "terminated"),
    "dispute_refuse": ("not", "won't", "wont", "refuse", "reject", "cannot", "can't", "liable"),
    "dispute_word": (
        "disput",
        "contest",
        "complaint",
        "satisfied",
        "unacceptable",
        "query",
        "withhold",
        "on hold",
    ),
    "other_resend_invoice": (
        "send",
        "copy",
        "issue",
        "updated",
        "corrected",
        "receiv",
        "got",
        "seen",
        "find",
        "locate",
        "open",
    ),
    "other_wrong_contact": (
        "wrong",
        "no longer",
        "left the company",
        "not the",
        "please",
        "forwarded",
        "passed",
        "unsubscribe",
        "remove me",
        "cc",
    ),
    "other_bank_details": (
        "bank",
        "account",
        "iban",
        "swift",
        "bic",
        "sort code",
        "routing",
        "remit",
        "where",
        "how",
        "card",
        "payment",
    ),
    "other_paperwork": (
        "po",
        "purchase order",
        "w9",
        "w-9",
        "vendor",
        "supplier",
        "statement",
        "which invoice",
        "tax",
    ),
    "other_looking_into": (
        "look",
        "check",
        "get back",
        "follow up",
        "investigat",
        "revert",
        "noted",
        "received your",
    ),
}
# The rules read lower-cased text (Document.text), so they are compiled without IGNORECASE, which made
# each pattern two to three times slower. Negation, hedge and question patterns keep it (short windows).
RULES = tuple(
    replace(
        r,
        triggers=TRIGGERS[r.name],
        pattern=re.compile(r.pattern.pattern),
        blocker=re.compile(r.blocker.pattern) if r.blocker else None,
        blocker_after=re.compile(r.blocker_after.pattern) if r.blocker_after else None,
    )
    for r in RULES
)
