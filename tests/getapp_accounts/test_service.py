"""The account service on SQLite: applications, YKTS answers, users, sessions, passwords (A4–A7)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.contract.messages.envelope import Envelope
from hub.domain.ykts import AuthorityCheckRequested
from hub.getapp.accounts import tables
from hub.getapp.accounts.rules import Refusal, RefusalKind, Status
from hub.getapp.accounts.service import AccountService, LoggedIn, LoginRefused
from hub.web.passwords import Passwords
from tests.getapp_accounts.helpers import (
    APPLICANT,
    FIRM_NAME,
    NEW_PASSWORD,
    PERSONS,
    TYPED_EMAIL,
    VKN,
    YKTS_EMAIL,
    World,
    authority_check_failed,
    authority_checked,
    request_id,
)


async def count(engine: AsyncEngine, table: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def add_persons(world: World, session: str, how_many: int) -> list[str]:
    return [await world.service.add_user(session, f"Kişi {chr(65 + i)}", PERSONS[i]) for i in range(how_many)]


# --- A4 ------------------------------------------------------------------------------------------------


async def test_a4_apply_asks_ykts_keyed_by_the_firm_vkn(world: World) -> None:
    application_id = await world.service.apply(VKN, APPLICANT, "Ayşe Yılmaz", TYPED_EMAIL)
    [request] = world.published
    assert request.type == "AuthorityCheckRequested" and request.carnet_number == VKN
    assert isinstance(request.payload, AuthorityCheckRequested)
    assert str(request.payload.request_id) == application_id
    assert (request.payload.firm_vkn, request.payload.person_tckn) == (VKN, APPLICANT)
    status = await world.service.application_status(application_id)
    assert status is not None and status.status is Status.PENDING


async def test_a4_malformed_ids_are_refused_and_ykts_is_not_asked(world: World) -> None:
    for vkn, tckn in (("123", APPLICANT), (VKN, "11111111111")):
        with pytest.raises(Refusal) as refused:
            await world.service.apply(vkn, tckn, "Ayşe Yılmaz")
        assert refused.value.kind is RefusalKind.INVALID
    assert world.published == []
    assert await count(world.engine, tables.applications) == 0


async def test_a4_a_person_ykts_does_not_authorise_gets_no_account(world: World) -> None:
    application_id = await world.service.apply(VKN, APPLICANT, "Ayşe Yılmaz")
    answer = authority_checked(world.published[0], authorised=False, reason="kişi firmayı temsile yetkili değil")
    view = await world.service.handle_ykts_answer(answer)
    assert view is not None and view.status is Status.REFUSED
    status = await world.service.application_status(application_id)
    assert status is not None and status.status is Status.REFUSED
    assert "kişi firmayı temsile yetkili değil" in status.reason
    assert await count(world.engine, tables.firms) == 0
    assert await count(world.engine, tables.users) == 0
    assert await count(world.engine, tables.mail_outbox) == 0


async def test_a4_ykts_not_answering_refuses_with_the_adapters_reason(world: World) -> None:
    application_id = await world.service.apply(VKN, APPLICANT, "Ayşe Yılmaz")
    await world.service.handle_ykts_answer(authority_check_failed(world.published[0], "YKTS HTTP 503 after 5 attempts"))
    status = await world.service.application_status(application_id)
    assert status is not None and status.status is Status.REFUSED and "YKTS HTTP 503" in status.reason


async def test_a4_when_ykts_cannot_be_asked_the_application_is_refused_at_once(
    engine: AsyncEngine, passwords: Passwords
) -> None:
    async def broker_down(message: Envelope[Any]) -> None:
        raise ConnectionError("no broker")

    service = AccountService(engine, broker_down, passwords=passwords)
    with pytest.raises(Refusal) as refused:
        await service.apply(VKN, APPLICANT, "Ayşe Yılmaz")
    assert refused.value.kind is RefusalKind.UNAVAILABLE
    async with engine.connect() as conn:
        status = (await conn.execute(select(tables.applications.c.status))).scalar_one()
    assert status == "refused"


# --- A5 ------------------------------------------------------------------------------------------------


async def test_a5_approval_makes_firm_user_and_mail_to_the_ykts_email_once(world: World) -> None:
    application_id = await world.service.apply(VKN, APPLICANT, "Ayşe Yılmaz", TYPED_EMAIL)
    answer = authority_checked(world.published[0])
    view = await world.service.handle_ykts_answer(answer)
    assert view is not None and view.status is Status.APPROVED and view.id == application_id
    assert await world.service.handle_ykts_answer(answer) is None  # a redelivery changes nothing
    assert await count(world.engine, tables.firms) == 1
    assert await count(world.engine, tables.users) == 1
    assert await count(world.engine, tables.mail_outbox) == 1
    async with world.engine.connect() as conn:
        queued = (await conn.execute(select(tables.mail_outbox))).one()
        firm = (await conn.execute(select(tables.firms))).one()
    assert queued.recipient == YKTS_EMAIL and queued.sent_at is None
    assert (firm.name, firm.email) == (FIRM_NAME, YKTS_EMAIL)

    await world.relay.relay_once()
    [mail] = world.mails
    assert mail.to == YKTS_EMAIL and mail.to != TYPED_EMAIL
    assert all(m.to != TYPED_EMAIL and TYPED_EMAIL not in m.body for m in world.mails)
    assert FIRM_NAME in mail.body and mail.user_code in mail.body
    assert isinstance(await world.service.login(mail.user_code, mail.password), LoggedIn)
    assert await world.relay.relay_once() == 0  # sent once


async def test_a5_a_second_answer_to_a_decided_application_changes_nothing(world: World) -> None:
    await world.approved_firm()
    late = authority_checked(world.published[0], authorised=False, reason="too late")
    assert await world.service.handle_ykts_answer(late) is None
    status = await world.service.application_status(str(request_id(world.published[0])))
    assert status is not None and status.status is Status.APPROVED


async def test_a5_a_mail_whose_user_was_cancelled_before_it_went_is_dropped(world: World) -> None:
    owner = await world.working_session(await world.approved_firm())
    code = await world.service.add_user(owner, "Mehmet Kaya", PERSONS[0])
    await world.service.cancel_user(owner, code)
    assert await world.relay.relay_once() == 1
    assert [m for m in world.mails if m.user_code == code] == []
    async with world.engine.connect() as conn:
        row = (await conn.execute(select(tables.users).where(tables.users.c.user_code == code))).one()
    assert row.password_hash is None and not row.active


# --- A6 ------------------------------------------------------------------------------------------------


async def test_a6_the_sixth_person_is_refused(world: World) -> None:
    owner = await world.working_session(await world.approved_firm())
    codes = await add_persons(world, owner, 4)
    assert len({*codes}) == 4
    with pytest.raises(Refusal) as refused:
        await world.service.add_user(owner, "Altıncı Kişi", PERSONS[5])
    assert refused.value.kind is RefusalKind.LIMIT and refused.value.rule == "A6"
    assert len(await world.service.users(owner)) == 5
    await world.relay.relay_once()
    assert len(world.mails) == 5 and {m.to for m in world.mails} == {YKTS_EMAIL}
    # cancelling one gives the right to another
    await world.service.cancel_user(owner, codes[0])
    await world.service.add_user(owner, "Altıncı Kişi", PERSONS[5])


async def test_a6_concurrent_additions_never_pass_five(world: World) -> None:
    owner = await world.working_session(await world.approved_firm())
    await add_persons(world, owner, 2)
    results = await asyncio.gather(
        *(world.service.add_user(owner, f"Eş Zamanlı {chr(75 + i)}", PERSONS[3 + i]) for i in range(4)),
        return_exceptions=True,
    )
    added = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, Refusal)]
    assert len(added) == 2 and len(refused) == 2, results
    assert all(r.rule == "A6" for r in refused)
    assert len(await world.service.users(owner)) == 5


async def test_a6_an_application_for_a_full_firm_is_refused(world: World) -> None:
    owner = await world.working_session(await world.approved_firm())
    await add_persons(world, owner, 4)
    await world.service.apply(VKN, PERSONS[6], "Yeni Müdür")
    view = await world.service.handle_ykts_answer(authority_checked(world.published[-1]))
    assert view is not None and view.status is Status.REFUSED and "A6" in view.reason


# --- A7 ------------------------------------------------------------------------------------------------


async def test_a7_the_initial_password_must_be_changed_first(world: World) -> None:
    mail = await world.approved_firm()
    logged_in = await world.service.login(mail.user_code, mail.password)
    assert isinstance(logged_in, LoggedIn) and logged_in.user.must_change_password
    for blocked in (
        world.service.firm_of_session(logged_in.token),
        world.service.users(logged_in.token),
        world.service.add_user(logged_in.token, "Biri", PERSONS[0]),
    ):
        with pytest.raises(Refusal) as refused:
            await blocked
        assert refused.value.kind is RefusalKind.FORBIDDEN and refused.value.rule == "A7"
    await world.service.change_password(logged_in.token, mail.password, NEW_PASSWORD)
    assert await world.service.firm_of_session(logged_in.token) == VKN


async def test_a7_change_password_needs_the_old_one_and_ends_other_sessions(world: World) -> None:
    mail = await world.approved_firm()
    first = await world.service.login(mail.user_code, mail.password)
    second = await world.service.login(mail.user_code, mail.password)
    assert isinstance(first, LoggedIn) and isinstance(second, LoggedIn)
    with pytest.raises(Refusal) as wrong:
        await world.service.change_password(first.token, "not-the-old-password", NEW_PASSWORD)
    assert wrong.value.kind is RefusalKind.WRONG_PASSWORD
    for new, why in (("short", "at least 10"), (mail.user_code.lower(), "user code")):
        with pytest.raises(Refusal) as invalid:
            await world.service.change_password(first.token, mail.password, new)
        assert invalid.value.kind is RefusalKind.INVALID and why in invalid.value.reason
    await world.service.change_password(first.token, mail.password, NEW_PASSWORD)
    assert await world.service.user_of_session(first.token) is not None
    assert await world.service.user_of_session(second.token) is None  # ended
    assert isinstance(await world.service.login(mail.user_code, mail.password), LoginRefused)
    assert isinstance(await world.service.login(mail.user_code, NEW_PASSWORD), LoggedIn)


async def test_a7_cancel_a_user_code_its_sessions_end_and_the_last_owner_stays(world: World) -> None:
    owner = await world.working_session(await world.approved_firm())
    [code] = await add_persons(world, owner, 1)
    await world.relay.relay_once()
    clerk_mail = next(m for m in world.mails if m.user_code == code)
    clerk = await world.working_session(clerk_mail)
    with pytest.raises(Refusal) as forbidden:
        await world.service.cancel_user(clerk, world.mails[0].user_code)
    assert forbidden.value.kind is RefusalKind.FORBIDDEN
    await world.service.cancel_user(owner, code)
    assert await world.service.user_of_session(clerk) is None
    refused = await world.service.login(code, NEW_PASSWORD)
    assert isinstance(refused, LoginRefused) and refused.reason == "wrong"
    assert [u.user_code for u in await world.service.users(owner)] == [world.mails[0].user_code]
    with pytest.raises(Refusal) as last:
        await world.service.cancel_user(owner, world.mails[0].user_code)
    assert last.value.kind is RefusalKind.CONFLICT and last.value.rule == "A7"
    with pytest.raises(Refusal) as gone:
        await world.service.cancel_user(owner, code)
    assert gone.value.kind is RefusalKind.NOT_FOUND


async def test_a7_users_of_another_firm_cannot_be_cancelled(world: World) -> None:
    owner = await world.working_session(await world.approved_firm())
    other_mail = await world.approved_firm(PERSONS[0], "Başka Firma Sahibi", vkn="7310098765")
    with pytest.raises(Refusal) as refused:
        await world.service.cancel_user(owner, other_mail.user_code)
    assert refused.value.kind is RefusalKind.NOT_FOUND


async def test_a7_five_failures_lock_for_15_minutes_then_the_password_works(world: World) -> None:
    mail = await world.approved_firm()
    for _ in range(4):
        wrong = await world.service.login(mail.user_code, "wrong-password")
        assert isinstance(wrong, LoginRefused) and wrong.reason == "wrong"
    fifth = await world.service.login(mail.user_code, "wrong-password")
    assert isinstance(fifth, LoginRefused) and fifth.reason == "locked"
    assert fifth.until == world.clock() + timedelta(minutes=15)
    world.clock.advance(minutes=14)
    still = await world.service.login(mail.user_code, mail.password)
    assert isinstance(still, LoginRefused) and still.reason == "locked" and still.until == fifth.until
    world.clock.advance(minutes=1)
    assert isinstance(await world.service.login(mail.user_code, mail.password), LoggedIn)
    async with world.engine.connect() as conn:
        row = (await conn.execute(select(tables.users.c.failed_logins, tables.users.c.locked_until))).one()
    assert row.failed_logins == 0 and row.locked_until is None


async def test_a7_a_success_resets_the_failure_count(world: World) -> None:
    mail = await world.approved_firm()
    for _ in range(4):
        await world.service.login(mail.user_code, "wrong-password")
    assert isinstance(await world.service.login(mail.user_code, mail.password), LoggedIn)
    for _ in range(4):
        wrong = await world.service.login(mail.user_code, "wrong-password")
        assert isinstance(wrong, LoginRefused) and wrong.reason == "wrong"


async def test_sessions_expire(world: World) -> None:
    session = await world.working_session(await world.approved_firm())
    world.clock.advance(hours=8)
    assert await world.service.user_of_session(session) is None
    with pytest.raises(Refusal) as refused:
        await world.service.firm_of_session(session)
    assert refused.value.kind is RefusalKind.UNAUTHENTICATED
    assert await world.service.user_of_session("made-up-token") is None


async def test_passwords_are_stored_as_argon2id_and_never_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    mail = await world.approved_firm()
    session = await world.working_session(mail)
    await world.service.login(mail.user_code, "a-wrong-guess-123")
    code = await world.service.add_user(session, "Mehmet Kaya", PERSONS[0])
    await world.relay.relay_once()
    second = next(m for m in world.mails if m.user_code == code)
    secrets_used = [mail.password, NEW_PASSWORD, "a-wrong-guess-123", second.password]
    async with world.engine.connect() as conn:
        hashes = (await conn.execute(select(tables.users.c.password_hash))).scalars().all()
        everything = [
            str(row)
            for table in tables.metadata.sorted_tables
            for row in (await conn.execute(text(f"SELECT * FROM {table.name}"))).all()
        ]
    assert len(hashes) == 2 and all(h is not None and h.startswith("$argon2id$") for h in hashes)
    for secret in secrets_used:
        assert not any(secret in row for row in everything), "a password is stored in clear"
        leaked = [r for r in caplog.records if secret in r.getMessage() or secret in str(r.__dict__)]
        assert leaked == [], leaked
    assert caplog.records  # the flow did log


async def test_a7_a_hash_of_older_parameters_is_replaced_at_login(world: World) -> None:
    mail = await world.approved_firm()
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1, type=Type.ID).hash(mail.password)
    async with world.engine.begin() as conn:
        await conn.execute(update(tables.users).values(password_hash=weak))
    assert isinstance(await world.service.login(mail.user_code, mail.password), LoggedIn)
    async with world.engine.connect() as conn:
        stored = (await conn.execute(select(tables.users.c.password_hash))).scalar_one()
    assert stored != weak and stored.startswith("$argon2id$v=19$m=65536,t=3,p=2$")
    assert isinstance(await world.service.login(mail.user_code, mail.password), LoggedIn)
