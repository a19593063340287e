"""The account rules, pure: no store, no clock, no randomness (Circular 2017/12, A4–A7)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from hub.domain.ykts import AuthorityChecked, AuthorityCheckFailed
from hub.getapp.accounts import rules
from hub.getapp.accounts.rules import (
    Account,
    Application,
    Approval,
    Firm,
    Refusal,
    RefusalKind,
    Rejection,
    Status,
    User,
)
from tests.getapp_accounts.helpers import APPLICANT, FIRM_NAME, PERSONS, START, TYPED_EMAIL, VKN, YKTS_EMAIL

CODES = (f"GA{c * 8}" for c in itertools.cycle("ABCDEFGH"))


def code() -> str:
    return next(CODES)


def application(typed_email: str | None = TYPED_EMAIL) -> Application:
    return rules.new_application(str(uuid4()), VKN, APPLICANT, "Ayşe Yılmaz", typed_email, START)


def checked(app: Application, **changes: object) -> AuthorityChecked:
    answer = AuthorityChecked(
        request_id=UUID(app.id),
        firm_vkn=app.firm_vkn,
        person_tckn=app.person_tckn,
        authorised=True,
        firm_name=FIRM_NAME,
        firm_email=YKTS_EMAIL,
    )
    return answer.model_copy(update=changes)


def user(code_: str, tckn: str, *, owner: bool = False, changed: bool = True, active: bool = True) -> User:
    return User(
        user_code=code_,
        firm_vkn=VKN,
        person_name="Kişi",
        tckn=tckn,
        is_owner=owner,
        created_at=START,
        active=active,
        must_change_password=not changed,
    )


def account(*users: User) -> Account:
    return Account(Firm(VKN, FIRM_NAME, YKTS_EMAIL, START), users)


OWNER = user("GAOWNER222", APPLICANT, owner=True)


# --- A4 ------------------------------------------------------------------------------------------------


def test_a4_only_an_authorised_answer_of_ykts_creates_the_account() -> None:
    app = application()
    assert app.status is Status.PENDING
    refused = rules.decide_application(
        app, checked(app, authorised=False, reason="not a director of the firm in YKTS"), None, code(), START
    )
    assert isinstance(refused, Rejection)
    assert refused.application.status is Status.REFUSED
    assert "not a director of the firm in YKTS" in refused.application.reason

    approved = rules.decide_application(app, checked(app), None, "GA23456789", START)
    assert isinstance(approved, Approval)
    assert approved.new_firm and approved.firm == Firm(VKN, FIRM_NAME, YKTS_EMAIL, START)
    assert approved.user.user_code == "GA23456789" and approved.user.is_owner
    assert approved.user.must_change_password
    assert approved.application.status is Status.APPROVED


def test_a4_unauthorised_without_a_reason_still_says_why() -> None:
    app = application()
    refused = rules.decide_application(app, checked(app, authorised=False), None, code(), START)
    assert isinstance(refused, Rejection)
    assert "not registered in YKTS as directly authorised" in refused.application.reason


def test_a4_ykts_not_answering_refuses_the_application_with_the_reason() -> None:
    app = application()
    failed = AuthorityCheckFailed(
        request_id=UUID(app.id), firm_vkn=VKN, person_tckn=APPLICANT, reason="YKTS timed out", attempts=5
    )
    refused = rules.decide_application(app, failed, None, code(), START)
    assert isinstance(refused, Rejection)
    assert "YKTS timed out" in refused.application.reason and "apply again" in refused.application.reason


def test_a4_an_answer_about_another_person_approves_nothing() -> None:
    app = application()
    refused = rules.decide_application(app, checked(app, person_tckn=PERSONS[0]), None, code(), START)
    assert isinstance(refused, Rejection)


def test_a4_a_decided_application_is_not_decided_again() -> None:
    app = application()
    approved = rules.decide_application(app, checked(app), None, code(), START)
    assert isinstance(approved, Approval)
    again = rules.decide_application(approved.application, checked(app, authorised=False), None, code(), START)
    assert isinstance(again, rules.Ignored)


@pytest.mark.parametrize(
    ("vkn", "tckn", "name"),
    [
        ("484001234", APPLICANT, "Ayşe Yılmaz"),  # VKN of 9 digits
        ("48400123AB", APPLICANT, "Ayşe Yılmaz"),
        (VKN, "12345678901", "Ayşe Yılmaz"),  # check digits wrong
        (VKN, APPLICANT, "   "),
        (VKN, APPLICANT, "Ayşe ⟦initial-password⟧"),
    ],
)
def test_a4_malformed_application_is_refused(vkn: str, tckn: str, name: str) -> None:
    with pytest.raises(Refusal) as refused:
        rules.new_application(str(uuid4()), vkn, tckn, name, None, START)
    assert refused.value.kind is RefusalKind.INVALID


# --- A5 ------------------------------------------------------------------------------------------------


def test_a5_user_code_is_assigned_by_the_generator_from_an_unambiguous_alphabet() -> None:
    picks = iter("ABCDEFGH")

    def pick(alphabet: Sequence[str]) -> str:
        return next(picks)

    assert rules.new_user_code(pick) == "GAABCDEFGH"
    assert rules.is_user_code("GAABCDEFGH")
    assert not set("IL01O") & set(rules.USER_CODE_ALPHABET)
    assert not rules.is_user_code("GAABCDEF0H") and not rules.is_user_code("XXABCDEFGH")


def test_a5_the_mail_goes_to_the_ykts_email_never_to_the_typed_one() -> None:
    app = application(typed_email=TYPED_EMAIL)
    assert app.contact_email == TYPED_EMAIL  # kept for the record ...
    approved = rules.decide_application(app, checked(app), None, "GAKKKKKKKK", START)
    assert isinstance(approved, Approval)
    mail = approved.mail
    assert mail.to == YKTS_EMAIL  # ... and never written to
    assert TYPED_EMAIL not in mail.to and TYPED_EMAIL not in mail.body
    assert mail.credentials_for == "GAKKKKKKKK"
    assert mail.subject == "GET-APP kullanıcı kodunuz / Your GET-APP user code"
    for text in (
        FIRM_NAME,
        "GAKKKKKKKK",
        "Kullanıcı kodu",
        "User code",
        "ilk girişinizde değiştirmeniz",
        "first login",
    ):
        assert text in mail.body
    # the queued body holds a slot, not a password: the password is made when the mail is sent
    assert mail.body.count(rules.PASSWORD_SLOT) == 2
    assert "S3cret-Pass" in rules.fill_password(mail.body, "S3cret-Pass")


def test_a5_without_a_ykts_email_no_account_is_made() -> None:
    app = application()
    for email in (None, "", "not-an-address"):
        refused = rules.decide_application(app, checked(app, firm_email=email), None, code(), START)
        assert isinstance(refused, Rejection)
        assert "A5" in refused.application.reason


def test_a5_added_users_are_mailed_to_the_ykts_email_too() -> None:
    new, mail = rules.add_user(account(OWNER), OWNER.user_code, "Mehmet Kaya", PERSONS[0], "GA22222222", START)
    assert mail.to == YKTS_EMAIL and mail.credentials_for == new.user_code == "GA22222222"
    assert not new.is_owner and new.must_change_password


# --- A6 ------------------------------------------------------------------------------------------------


def test_a6_the_sixth_person_is_refused_and_the_applicant_counts_as_one() -> None:
    firm = account(OWNER, *(user(f"GA{i}{i}{i}{i}{i}{i}{i}{i}", PERSONS[i]) for i in range(2, 6)))
    assert len(firm.active_users) == 5
    with pytest.raises(Refusal) as refused:
        rules.add_user(firm, OWNER.user_code, "Altıncı Kişi", PERSONS[6], "GA77777777", START)
    assert refused.value.kind is RefusalKind.LIMIT and refused.value.rule == "A6"
    assert "at most 5" in refused.value.reason


def test_a6_cancelled_users_do_not_count() -> None:
    cancelled = user("GA99999999", PERSONS[7], active=False)
    firm = account(OWNER, cancelled, *(user(f"GA{i}{i}{i}{i}{i}{i}{i}{i}", PERSONS[i]) for i in range(2, 5)))
    new, _ = rules.add_user(firm, OWNER.user_code, "Beşinci Kişi", PERSONS[7], "GA66666666", START)
    assert new.tckn == PERSONS[7]


def test_a6_an_application_for_a_full_firm_is_refused() -> None:
    firm = account(OWNER, *(user(f"GA{i}{i}{i}{i}{i}{i}{i}{i}", PERSONS[i]) for i in range(2, 6)))
    app = rules.new_application(str(uuid4()), VKN, PERSONS[0], "Yeni Müdür", None, START)
    refused = rules.decide_application(app, checked(app), firm, code(), START)
    assert isinstance(refused, Rejection) and "A6" in refused.application.reason


def test_a6_a_second_authorised_applicant_joins_the_firm_as_an_owner() -> None:
    app = rules.new_application(str(uuid4()), VKN, PERSONS[0], "Yeni Müdür", None, START)
    approved = rules.decide_application(
        app, checked(app, firm_email="yeni@anadolufuar.example.com.tr"), account(OWNER), "GA33333333", START
    )
    assert isinstance(approved, Approval)
    assert not approved.new_firm and approved.user.is_owner
    assert approved.mail.to == "yeni@anadolufuar.example.com.tr"  # YKTS's latest registration


def test_a6_a_person_with_an_active_code_gets_no_second_one() -> None:
    with pytest.raises(Refusal) as refused:
        rules.add_user(account(OWNER), OWNER.user_code, "Ayşe Yılmaz", APPLICANT, "GA22222222", START)
    assert refused.value.kind is RefusalKind.CONFLICT


# --- A7 ------------------------------------------------------------------------------------------------


def test_a7_cancel_a_user_code_but_not_the_last_owner() -> None:
    clerk = user("GACLERK222", PERSONS[0])
    firm = account(OWNER, clerk)
    cancelled = rules.cancel_user(firm, OWNER.user_code, clerk.user_code, START)
    assert not cancelled.active and cancelled.cancelled_at == START
    with pytest.raises(Refusal) as refused:
        rules.cancel_user(firm, OWNER.user_code, OWNER.user_code, START)
    assert refused.value.kind is RefusalKind.CONFLICT and refused.value.rule == "A7"
    second_owner = user("GAOWNERBBB", PERSONS[1], owner=True)
    assert not rules.cancel_user(account(OWNER, second_owner), OWNER.user_code, OWNER.user_code, START).active


def test_a7_a_user_cancels_his_own_code_only_an_owner_cancels_others() -> None:
    clerk, other = user("GACLERK222", PERSONS[0]), user("GACLERK333", PERSONS[1])
    firm = account(OWNER, clerk, other)
    with pytest.raises(Refusal) as refused:
        rules.cancel_user(firm, clerk.user_code, other.user_code, START)
    assert refused.value.kind is RefusalKind.FORBIDDEN
    assert not rules.cancel_user(firm, clerk.user_code, clerk.user_code, START).active
    with pytest.raises(Refusal) as missing:
        rules.cancel_user(firm, OWNER.user_code, "GAXXXXXXXX", START)
    assert missing.value.kind is RefusalKind.NOT_FOUND


def test_a7_only_owners_add_users() -> None:
    clerk = user("GACLERK222", PERSONS[0])
    with pytest.raises(Refusal) as refused:
        rules.add_user(account(OWNER, clerk), clerk.user_code, "Biri", PERSONS[1], "GA22222222", START)
    assert refused.value.kind is RefusalKind.FORBIDDEN


def test_a7_the_initial_password_must_be_changed_before_anything_else() -> None:
    fresh = replace(OWNER, must_change_password=True)
    with pytest.raises(Refusal) as refused:
        rules.add_user(account(fresh), fresh.user_code, "Biri", PERSONS[1], "GA22222222", START)
    assert refused.value.kind is RefusalKind.FORBIDDEN and refused.value.rule == "A7"


@pytest.mark.parametrize(
    ("new", "problem"),
    [
        ("kisa-9chr", "at least 10"),
        ("gaowner222", "not be the user code"),
        (" GAOWNER222 ", "not be the user code"),
        ("Eski-Sifre-123", "differ from the old"),
        ("x" * 257, "at most 256"),
    ],
)
def test_a7_new_password_rules(new: str, problem: str) -> None:
    found = rules.password_problem("GAOWNER222", "Eski-Sifre-123", new)
    assert found is not None and problem in found
    assert rules.password_problem("GAOWNER222", "Eski-Sifre-123", "Yeni-Sifre-2026") is None


def test_a7_old_password_required_and_a_wrong_one_counts_as_a_failed_login() -> None:
    changed = rules.change_password(OWNER, True, START)
    assert changed.refusal is None and not changed.user.must_change_password
    wrong = rules.change_password(OWNER, False, START)
    assert wrong.refusal is not None and wrong.refusal.kind is RefusalKind.WRONG_PASSWORD
    assert wrong.user.failed_logins == 1
    four = replace(OWNER, failed_logins=4)
    locked = rules.change_password(four, False, START)
    assert locked.refusal is not None and locked.refusal.kind is RefusalKind.LOCKED
    with pytest.raises(Refusal) as refused:
        rules.change_password(locked.user, True, START + timedelta(minutes=1))
    assert refused.value.kind is RefusalKind.LOCKED


def test_a7_five_failed_logins_in_a_row_lock_the_code_for_15_minutes() -> None:
    current: User = OWNER
    for attempt in range(1, 5):
        after, outcome = rules.login_attempt(current, False, START)
        assert after is not None and isinstance(outcome, rules.LoginRefused) and not outcome.locked
        assert after.failed_logins == attempt
        current = after
    after, outcome = rules.login_attempt(current, False, START)
    assert after is not None and isinstance(outcome, rules.LoginRefused)
    assert outcome.locked and outcome.until == START + timedelta(minutes=15)
    # locked: even the right password is refused until the lock ends
    still, refused = rules.login_attempt(after, True, START + timedelta(minutes=14, seconds=59))
    assert isinstance(refused, rules.LoginRefused) and refused.locked and still == after
    later, accepted = rules.login_attempt(after, True, START + timedelta(minutes=15))
    assert isinstance(accepted, rules.LoginAccepted) and later is not None
    assert later.failed_logins == 0 and later.locked_until is None


def test_a7_a_success_resets_the_count_of_failures() -> None:
    after, _ = rules.login_attempt(replace(OWNER, failed_logins=4), True, START)
    assert after is not None and after.failed_logins == 0
    again, outcome = rules.login_attempt(after, False, START)
    assert again is not None and again.failed_logins == 1
    assert isinstance(outcome, rules.LoginRefused) and not outcome.locked


def test_a7_unknown_and_cancelled_codes_answer_like_a_wrong_password() -> None:
    _, unknown = rules.login_attempt(None, True, START)
    _, cancelled = rules.login_attempt(replace(OWNER, active=False), True, START)
    assert unknown == cancelled == rules.LoginRefused(locked=False, until=None, reason="wrong user code or password")
