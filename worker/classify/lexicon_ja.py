"""Japanese intent rules. Japanese marks tense and negation at the end of the verb, so the negation
check looks *after* a match (支払って|おりません), and most patterns carry their own ending:
past (ました, 済み, 完了) for paid, volitional or plan (いたします, 予定) for a promise.

Written for business Japanese as customers send it: keigo (お振込みいたしました, お支払いいたしかねます),
plain forms, and the variants of 振込/振り込み/振込み and 支払/支払い/お支払い.
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

JAPANESE = Language(
    code="ja",
    negation_before=re.compile(r"(?:未|非)$"),
    negation_after=re.compile(
        # negative endings, but not the polite negative question of a request (いただけませんでしょうか)
        r"^[^、。，．,!?！？]{0,10}?(?:ません(?!(?:でしょう|でした)?か)|ない(?!(?:でしょう)?か)|なかった|ず(?!つ)|"
        r"ておらず|かねます|かねる|ではありません|ではない|じゃない)|"
        # a plan given up: 分割も考えていましたが / お支払いの準備はしておりましたが
        r"^[^、。，．,!?！？]{0,16}?(?:考えて|思って|準備|予定|つもり)[^、。]{0,8}?(?:ました|でした)$"
    ),
    hedge=re.compile(r"(?:もし|仮に|たら|れば|次第|場合|なら)"),
    clause_edge=re.compile(r"[、。，．,!?！？\n]|(?:が|けど|けれど|ものの|ので|ため)、"),
    question=re.compile(r"(?:か|かね|でしょうか|ですか|ますか|ませんか)[。？?\s]*$|[？?]\s*$"),
    window=40,
)

# Stems of "pay" and "transfer", in the spellings customers use.
_PAY = r"(?:お?支払|お?支拂|お?振込|お?振り込|お?振込み|ご?送金|ご?入金|お?払い込|お?払込|ご?決済|お?精算)"
_PAY_NOUN = r"(?:お?支払い?|お?振込み?|お?振り込み|ご?送金|ご?入金|お?払込|ご?決済|お?精算)"
_GOODS = (
    r"(?:商品|品物|製品|荷物|注文品|納品物|物品|部品|機械|機器|資材|材料|サービス|納品|発注品|"
    r"ご注文の品|現物|在庫|品)"
)
# "…お支払いくださいますようお願い申し上げます" is our reminder asking, not the customer promising.
# Right after the payment word: the customer's own "月末の支払いでお願いします" stays a promise.
_REQUEST = (
    r"^(?:を|の程を?)?\s?(?:くださ|下さ|いただきますよう|いただけますよう|頂きますよう|頂けますよう|お願い)"
)
_INVOICE = r"(?:請求書|請求|インボイス|明細書|請求明細)"

RULES: tuple[Rule, ...] = (
    # --- paid -------------------------------------------------------------------------------------
    rule(
        "ja_paid_done",
        PAID,
        0.92,
        _PAY + r"(?:い|み|し)?(?:の|を|は|が)?(?:手続き|処理|手配)?(?:を|は|が)?(?:[^、。]{0,6}?)"
        r"(?:完了|済|すみ|終了|終え)|"
        + _PAY_NOUN
        + r"(?:を|の)?(?:行い|実行し|実施し|済ませ|いたし)(?:ました|ております|ています)",
        "振込済み, 支払い済, お支払い完了",
        question=0.8,
    ),
    rule(
        "ja_paid_past",
        PAID,
        0.9,
        _PAY + r"(?:(?:い|み)?(?:を)?(?:ました|いたしました|致しました|しました|"
        r"させていただきました|させて頂きました|"
        r"しております|しています|済みです)|(?:っ|ん)(?:た|だ)|(?:っ|ん)(?:て|で)(?:おります|います|あります))|"
        r"(?<![支])払(?:いました|いましたよ|っています|ってます|った(?:よ|ので|から|けど)?(?=$|[。！!、？?]))",
        "お振込みいたしました, 振り込みました, 支払っております, 払いました",
        question=0.8,
        blocker=r"(?:予定|つもり|する|いたす)$",
    ),
    rule(
        "ja_paid_already",
        PAID,
        0.9,
        r"(?:既に|すでに)[^、。]{0,12}?" + _PAY,
        "既に … お支払い: said about a past payment",
        question=0.8,
    ),
    rule(
        "ja_paid_arranged",
        PAID,
        0.8,
        _PAY_NOUN + r"(?:の)?(?:手配|手続き?|処理)(?:を)?"
        r"(?:いたしました|致しました|しました|済み?|完了|させていただきました)",
        "振込の手配をいたしました",
    ),
    rule(
        "ja_paid_proof",
        PAID,
        0.78,
        r"(?:振込|振り込み|送金|支払|入金)(?:明細|控え|証明|完了(?:通知|のお知らせ|画面)|通知書|受付書)|"
        r"(?:お?振込み?|お?振り込み|ご?送金|お?支払い?)の(?:控え|明細|証明書?|受付票)|"
        r"(?:利用明細|送金証明|振込受付)",
        "transfer slip or payment notice mentioned",
        question=0.8,
    ),
    rule(
        "ja_paid_confirm",
        PAID,
        0.75,
        r"(?:ご?入金|お?振込み?|お?支払い?|送金|着金)(?:の|を|が)?(?:ご?確認|ご?確認の程)(?:を)?"
        r"(?:お願い|いただけ|頂け|ください|下さい)|"
        r"(?:ご?入金|お?振込み?|お?支払い?|送金)(?:は|が|を)?(?:ご?確認|着金|反映)(?:いただけ|頂け|でき|され)(?:ました|て)",
        "asks us to confirm the payment arrived: says it was sent",
        negatable=False,
    ),
    # --- promise to pay ---------------------------------------------------------------------------
    rule(
        "ja_promise_will",
        PROMISE,
        0.8,
        _PAY + r"(?:い|み)?(?:を)?(?:いたします|致します|します|させていただきます|させて頂きます|ます|"
        r"いたしたく|させていただければ|させていただく予定)(?!か)",
        "お支払いいたします, 振り込みます",
        question=0.4,
        blocker_after=_REQUEST,
    ),
    rule(
        "ja_promise_planned",
        PROMISE,
        0.82,
        _PAY + r"(?:い|み)?(?:する|いたす|の|を|を行う|させていただく)?(?:予定|見込み|つもり|手筈|段取り)|"
        + _PAY + r"(?:い|み)?(?:は|を)[^。？?]{1,12}?(?:予定|見込み)(?:です|でございます|となって|となります|で)",
        "お支払い予定, 振込の予定です, 入金は15日の予定です",
        question=0.5,
    ),
    rule(
        "ja_promise_date_word",
        PROMISE,
        0.75,
        r"(?:支払|振込|送金|入金)(?:予定)?日(?:は|が|を)?|(?:支払|振込|送金)(?:い|み)?(?:サイト|日程)",
        "names a payment day (支払日は…)",
        needs_date=True,
        question=0.6,
    ),
    rule(
        "ja_promise_by_date",
        PROMISE,
        0.72,
        _PAY_NOUN + r"|払い|払う|振り込む|振込む",
        "a payment word in a sentence that names a date",
        needs_date=True,
        question=0.5,
        blocker=r"(?:期限|期日|請求日|発行日|締め|締日|支払期日|お支払期限)[^、。]{0,6}$",
        blocker_after=_REQUEST,
    ),
    rule(
        "ja_promise_arrange",
        PROMISE,
        0.65,
        r"(?:支払|振込|振り込|送金|入金)[^。]{0,12}?(?:手配|手続き?|処理)(?:を)?"
        r"(?:いたします|致します|します|させていただきます|中|を進めて|を進め)|"
        r"(?:支払|振込|振り込|送金|入金)[^。]{0,24}?(?:今週|来週|今月|来月|明日|明後日|週明け|月末)[^。]{0,6}?"
        r"(?:対応|処理|手配)(?:いたします|致します|します|させていただきます)",
        "手配いたします, 手続き中, 今週中には対応いたします (about the payment)",
        question=0.5,
    ),
    # --- payment plan -----------------------------------------------------------------------------
    rule(
        "ja_plan_split",
        PLAN,
        0.9,
        r"分割|分納|分けて(?:お?支払|お?振込|払|送金|入金)|(?:\d+|[二三四五六七八九十])回(?:に分けて|払い|の支払|での支払|で支払)|"
        r"月賦|割賦|(?:毎月|月々|月額)[^、。]{0,14}?ずつ|[\d一二三四五六七八九十]+\s?(?:か|ヶ|カ|ケ|ヵ)月(?:で|間|に分け|の分割)",
        "分割, 3回に分けて, 毎月11万円ずつ5か月で",
    ),
    rule(
        "ja_plan_partial",
        PLAN,
        0.85,
        r"一部(?:のみ|だけ)?(?:を|の)?(?:先に|先行して|まず|今月)?(?:お?支払|お?振込|入金|送金)|半額|"
        r"残(?:額|り|金)(?:は|を|につきましては)?(?:来月|翌月|後日|改めて|次回|\d+月)|内金|一部入金",
        "一部のみ先に, 残額は来月",
        negatable=False,
    ),
    rule(
        "ja_plan_extension",
        PLAN,
        0.6,
        r"(?:お?支払い?|お?振込み?)?(?:期限|期日|日)(?:の|を)?(?:延長|猶予|延期|調整|ご相談)|"
        r"お?支払い?(?:を|の)?(?:お?待ち|待って|猶予|延期)|ご猶予|猶予",
        "asks for more time without a date",
        negatable=False,
        needs_date=False,
    ),
    rule(
        "ja_plan_extension_dated",
        PLAN,
        0.7,
        r"(?:期限|期日|お?支払い?日|お?振込日)(?:を|は)?[^。]{0,12}?(?:延ばし|延長|伸ばし|遅らせ|延期|猶予)",
        "asks to move the due date, to a date: a person agrees or not",
        negatable=False,
    ),
    rule(
        "ja_plan_wait",
        PLAN,
        0.7,
        r"お?支払い?(?:を|は|の)?[^。]{1,12}?(?:お待ち|待って)(?:いただけ|頂け|もらえ|くださ|いただき|頂き)|"
        r"お?支払い?(?:について|に関して|の件で|方法について)[^。]{0,10}?ご?相談(?:させて|したく|させていただ|を)|"
        r"(?:もう少し|もう少々|今しばらく|しばらく)?お時間を(?:いただけ|頂け|いただきたく|頂きたく|ください|くだされば)",
        "asks to wait for the payment, or to discuss it: a person agrees or not",
        negatable=False,
    ),
    rule(
        "ja_plan_hardship",
        PLAN,
        0.55,
        r"資金繰り|資金(?:が)?(?:厳しい|不足)|一括(?:での)?(?:お?支払い?|払い)(?:が|は)?(?:難しい|困難|厳しい)",
        "cannot pay it all at once",
        negatable=False,
    ),
    # --- dispute ----------------------------------------------------------------------------------
    rule(
        "ja_dispute_amount",
        DISPUTE,
        0.9,
        r"(?:ご?請求)?(?:金額|額|単価|数量|合計|内訳|消費税|税額)(?:が|に|は)?(?:[^、。]{0,8})?(?:違|間違|誤|相違|異な|おかし|"
        r"ちが(?:う|い|っ|く)|まちが|"
        r"合わ|合って|合い(?:ません)|一致し(?:ません|ない|ておりません)|過大|多すぎ|高すぎ|より高|より多|"
        r"高くなって|上がって)|"
        r"二重(?:請求|計上|に請求|で請求)|重複(?:請求|して請求)|(?:請求書?|ご請求)(?:が|を)?二重に|"
        r"二重に(?:届|送付|送られ|発行|ご請求)|減額(?:を|の)?(?:お願い|ご検討|ご相談|していただ|いただ|願)|"
        r"値引き?(?:を|の)?(?:お願い|ご検討|ご相談|していただ|いただ|願)|"
        r"(?:見積|注文|発注|契約)(?:書|金額|内容)?(?:と|の金額と|の内容と)(?:[^、。]{0,6})?(?:違|異な|相違|合わ)|"
        r"(?:請求|内容|ご請求)(?:が|と)?[^。]{0,8}重複して|検収(?:が)?(?:でき|出来)(?:て)?(?:い|お)?(?:ません|ない|りません)|"
        r"検収(?:いたし|致し|し)かね",
        "請求金額が違います, 二重請求, 減額のお願い",
        negatable=False,
        # 金額に間違いがない / 間違いありません: the amount is confirmed, not disputed
        blocker_after=r"^(?:い|え|っ|り)?(?:は|が|も)?(?:ない|無い|なく|ありません|ございません)(?!ですか|でしょうか|か)",
    ),
    rule(
        "ja_dispute_not_received_goods",
        DISPUTE,
        0.9,
        _GOODS + r"(?:が|は|も|を)?(?:まだ|いまだ|未だ)?(?:届|到着|納品|受領|受け取|着|入荷|提供|実施)"
        r"(?:いて|して|されて|って|き|け)?"
        r"(?:い|お)?(?:ません|ない|りません|ておりません|ず)",
        "商品が届いていません",
        negatable=False,
    ),
    rule(
        "ja_dispute_not_received",
        DISPUTE,
        0.72,
        r"(?:まだ|いまだ|未だ)?(?:届|到着|納品|着)(?:いて|して|されて)(?:い|お)(?:ません|ない|りません)|未着|未納品?|"
        r"届いておらず|納品されておらず",
        "まだ届いておりません (no object: most often the goods)",
        negatable=False,
        blocker=_INVOICE + r"|メール|書類|郵送|[Pp][Dd][Ff]",
    ),
    rule(
        "ja_dispute_defective",
        DISPUTE,
        0.86,
        r"破損|不良品?|故障|欠陥|壊れ|動かな|動きません|(?:動作|作動|起動)し(?:な|ません)|使えな|使用できな|不具合|汚損|傷が|キズ|品質(?:に|上の)?問題|初期不良|"
        r"欠品|数(?:量)?が(?:足り|不足)|不足して|違う商品|別の商品|誤配送?|誤納品?|仕様と(?:違|異な)|不備|瑕疵|"
        r"(?:内容|記載|請求書|明細)に(?:誤り|間違い)",
        "破損, 不良, 不具合, 欠品",
        # 経理システムの不具合: a fault on the customer's own side, not in what we delivered
        blocker=r"(?:システム|経理|会計|銀行|ネットバンキング|社内|弊社)[^。、]{0,6}$",
    ),
    rule(
        "ja_dispute_never_ordered",
        DISPUTE,
        0.9,
        r"(?:注文|発注|依頼|申し?込み?|契約|購入)(?:は|を|も)?(?:して|いたして|致して|しており|した覚え)(?:い|お)?"
        r"(?:ません|ない|りません|は(?:ありません|ない))|(?:身に)?覚えが(?:ありません|ない|ございません)|"
        r"心当たり(?:が)?(?:ありません|ない|ございません)|弊社(?:宛|あて)ではな|当社(?:宛|あて)ではな",
        "発注していません, 身に覚えがない",
        negatable=False,
    ),
    rule(
        "ja_dispute_credited",
        DISPUTE,
        0.82,
        r"返品(?:済|し|いたし|致し|させて)|返金|相殺|キャンセル(?:済|しました|した|いたしました|になって|"
        r"させていただきました)|解約(?:済|しました|いたしました|して)|取り?消し|赤伝|クレジットノート|"
        r"契約(?:を|は)?解除(?:済|しました|いたしました|して|となって|された)|お?支払い?(?:の)?対象外",
        "返品済み, キャンセル済み, 相殺",
        negatable=False,
    ),
    rule(
        "ja_dispute_refuse",
        DISPUTE,
        0.82,
        _PAY + r"(?:い|み)?(?:は|を|について)?"
        r"(?:いたしかね|致しかね|できかね|出来かね|お断り|拒否|保留|差し控え|見合わせ)|"
        r"(?:支払う|お支払いする)義務は|納得(?:が)?(?:でき|いき|いか)(?:ません|ない|かねます)|"
        r"(?:承服|了承|承諾)(?:いたし|致し|し|でき|出来)(?:かね|ません)",
        "お支払いいたしかねます, 納得できません",
        negatable=False,
    ),
    rule(
        "ja_dispute_work_incomplete",
        DISPUTE,
        0.88,
        r"(?:作業|工事|施工|修理|設置|業務|納品|据付|取付)(?:が|は|も)?(?:まだ|いまだ|未だ)?(?:完了|終わって|終了|完成|完工)"
        r"(?:して)?(?:い|お)?(?:ません|ない|りません|ず)|(?:作業|工事|施工)(?:が|は)?(?:まだ|いまだ)?残って",
        "作業が完了していない: the work is not finished",
        negatable=False,
    ),
    rule(
        "ja_dispute_terms",
        DISPUTE,
        0.75,
        r"(?:注文|発注|納品|見積|契約)[^。、]{0,10}\d+[^。]{0,12}(?:ですが|でしたが|のところ)、?[^。]{0,16}"
        r"(?:請求|ご請求)[^。]{0,12}\d+|"
        r"(?:ご?契約|お?見積(?:書|り)?|ご?注文時|発注時|お約束|合意)(?:で|に|の際)は[^。]{0,30}?"
        r"(?:はず|込み|含まれ|無料|無償|でした|となって|と伺って)|"
        r"(?:差し引かれて|控除されて|反映されて|相殺されて)(?:い|お)(?:ません|ない|りません)|"
        r"(?:無償|無料)(?:対応|で(?:の)?(?:対応|実施))?と(?:伺って|聞いて|お聞きして|言われて|ご説明(?:を)?いただいて|説明を受けて)",
        "the contract or quote said otherwise; a deposit not deducted",
        negatable=False,
    ),
    rule(
        "ja_dispute_word",
        DISPUTE,
        0.78,
        r"異議|不服|クレーム|抗議|法務(?:部|担当|課)?(?:に|で|にて)|弁護士",
        "異議, 不服, 法務部で確認中 (negatable: 異議はございません is no dispute)",
    ),
    rule(
        "ja_dispute_correction",
        DISPUTE,
        0.72,
        r"再請求|(?:訂正|修正)(?:した|後の|済みの|版の)?請求書|請求書(?:を|の)?(?:訂正|修正|差し替え)",
        "asks for a corrected invoice: the one sent is wrong",
        negatable=False,
    ),
    # --- other ------------------------------------------------------------------------------------
    rule(
        "ja_other_resend_invoice",
        OTHER,
        0.78,
        _INVOICE + r"(?:を|の|が|は)?"
        r"(?:再送|再発行|送り直|もう一度|再度|改めて|お送り|送って|ご送付|送付|原本|写し|コピー|"
        r"(?:まだ)?(?:届いて|受け取って|見当たら|確認でき|紛失))",
        "請求書の再送, 請求書が届いていない",
        negatable=False,
    ),
    rule(
        "ja_other_wrong_contact",
        OTHER,
        0.78,
        r"担当(?:者)?(?:が|は)?(?:変更|変わ|異動|退職|違|不在|外れ)|担当では(?:ありません|ございません|ない)|"
        r"部署(?:が|は)?(?:違|異な)|宛先(?:が|を|の)?(?:間違|誤|変更)|退職(?:いたしました|しました|いたしております)|"
        r"(?:下記|以下)(?:の)?(?:担当|宛先|アドレス)(?:まで|へ|に)",
        "担当者が変わりました, 宛先の変更",
        negatable=False,
    ),
    rule(
        "ja_other_bank_details",
        OTHER,
        0.7,
        r"振込先|(?:口座|銀行)(?:情報|番号|名義)?(?:を|の)?(?:教え|ご教示|お知らせ|変更)|お?支払(?:い)?方法|"
        r"振込口座|銀行口座|クレジットカード(?:で|払い)",
        "asks for bank details or how to pay",
        negatable=False,
    ),
    rule(
        "ja_other_paperwork",
        OTHER,
        0.7,
        r"登録番号|インボイス(?:制度|番号)|適格請求書|取引先登録|口座登録|発注番号|注文番号(?:を|の)?(?:記載|ご記載)|"
        r"宛名(?:を|の)?(?:変更|修正)",
        "registration numbers, addressee or PO details",
        negatable=False,
    ),
    rule(
        "ja_other_checking",
        OTHER,
        0.6,
        r"確認(?:いたします|致します|します|中|させて|の上|いたしまして|して折り返し)|折り返し(?:ご連絡|連絡)|"
        r"追って(?:ご連絡|連絡)|社内で(?:確認|検討)|承知(?:いたしました|しました)|拝受(?:いたしました|しました)",
        "acknowledges and will check",
        negatable=False,
    ),
)

# Words a rule cannot match without; see lexicon_en.TRIGGERS.
_STEMS = ("支払", "支拂", "振込", "振り込", "送金", "入金", "払い込", "払込", "決済", "精算")
TRIGGERS: dict[str, tuple[str, ...]] = {
    "ja_paid_done": _STEMS,
    "ja_paid_past": (*_STEMS, "払"),
    "ja_paid_already": ("既に", "すでに"),
    "ja_paid_arranged": _STEMS,
    "ja_paid_proof": ("振込", "振り込み", "送金", "支払", "入金", "利用明細"),
    "ja_paid_confirm": ("入金", "振込", "支払", "送金", "着金"),
    "ja_promise_will": _STEMS,
    "ja_promise_planned": _STEMS,
    "ja_promise_date_word": ("支払", "振込", "送金", "入金"),
    "ja_promise_by_date": ("払", "振込", "振り込", "送金", "入金", "決済", "精算"),
    "ja_promise_arrange": ("手配", "手続", "処理", "対応"),
    "ja_plan_split": (
        "分割",
        "分納",
        "分けて",
        "回",
        "月賦",
        "割賦",
        "ずつ",
        "か月",
        "ヶ月",
        "カ月",
        "ケ月",
        "ヵ月",
    ),
    "ja_dispute_work_incomplete": ("作業", "工事", "施工", "修理", "設置", "業務", "納品", "据付", "取付"),
    "ja_dispute_terms": (
        "無償",
        "無料",
        "注文",
        "発注",
        "納品",
        "契約",
        "見積",
        "注文時",
        "発注時",
        "約束",
        "合意",
        "差し引",
        "控除",
        "反映",
        "相殺",
    ),
    "ja_dispute_word": ("異議", "不服", "クレーム", "抗議", "法務", "弁護士"),
    "ja_dispute_correction": ("再請求", "訂正", "修正", "差し替え"),
    "ja_plan_partial": ("一部", "半額", "残", "内金"),
    "ja_plan_extension": ("期限", "期日", "日", "待", "猶予", "延期"),
    "ja_plan_extension_dated": ("期限", "期日", "日"),
    "ja_plan_wait": ("待", "相談", "お時間"),
    "ja_plan_hardship": ("資金", "一括"),
    "ja_dispute_amount": (
        "検収",
        "値引",
        "額",
        "単価",
        "数量",
        "合計",
        "内訳",
        "税",
        "二重",
        "重複",
        "見積",
        "注文",
        "発注",
        "契約",
    ),
    "ja_dispute_not_received_goods": ("届", "到着", "納品", "受領", "受け取", "着", "入荷", "提供", "実施"),
    "ja_dispute_not_received": ("届", "到着", "納品", "着", "未"),
    "ja_dispute_defective": (
        "破損",
        "不良",
        "故障",
        "欠陥",
        "壊れ",
        "動か",
        "動き",
        "起動",
        "使え",
        "使用",
        "動作",
        "作動",
        "不具合",
        "汚損",
        "傷",
        "キズ",
        "品質",
        "欠品",
        "足り",
        "不足",
        "違う商品",
        "別の商品",
        "誤配",
        "誤納",
        "仕様",
        "不備",
        "瑕疵",
        "誤り",
        "間違い",
    ),
    "ja_dispute_never_ordered": ("注文", "発注", "依頼", "申", "契約", "購入", "覚え", "心当たり", "宛"),
    "ja_dispute_credited": (
        "解除",
        "対象外",
        "返品",
        "返金",
        "相殺",
        "キャンセル",
        "解約",
        "取消",
        "取り消",
        "赤伝",
        "クレジット",
    ),
    "ja_dispute_refuse": (
        "承服",
        "了承",
        "承諾",
        "かね",
        "お断り",
        "拒否",
        "保留",
        "差し控え",
        "見合わせ",
        "義務",
        "納得",
    ),
    "ja_other_resend_invoice": ("請求", "インボイス", "明細書"),
    "ja_other_wrong_contact": ("担当", "部署", "宛先", "退職", "下記", "以下"),
    "ja_other_bank_details": ("振込先", "口座", "銀行", "方法", "クレジットカード"),
    "ja_other_paperwork": (
        "登録番号",
        "インボイス",
        "適格",
        "取引先登録",
        "口座登録",
        "発注番号",
        "注文番号",
        "宛名",
    ),
    "ja_other_checking": ("確認", "折り返し", "追って", "社内", "承知", "拝受"),
}
# Japanese has no letter case: compiled without IGNORECASE these patterns run several times faster.
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
