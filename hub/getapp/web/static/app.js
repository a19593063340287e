/* GET-APP page (Circular 2017/12): a firm follows its own goods through customs.
 *
 * Plain JavaScript, no build step, no library: the page talks JSON to the same origin
 * (/api/...) with fetch, draws its charts as inline SVG, and keeps every label in the
 * dictionary below (Türkçe by default, English on request).
 *
 * Rules shown here: A1 (stage, where the goods are, average times), A3 (the server only
 * answers the firm's own declarations), A6 (at most 5 persons), A7 (cancel user codes,
 * change passwords), A8 (every answer's notice, always on screen), C4 (statistics).
 */
"use strict";

(function () {
  // ---------------------------------------------------------------- dictionary

  const I18N = {
    tr: {
      skip: "İçeriğe geç",
      subtitle: "Gümrükte eşyamı takip ediyorum",
      user_code_short: "Kullanıcı",
      logout: "Çıkış",
      notice_default: "Bu bilgiler bilgilendirme amaçlıdır; hukuki bağlayıcılığı yoktur.",
      login_title: "Giriş",
      user_code: "Kullanıcı kodu",
      password: "Parola",
      login: "Giriş yap",
      tab_declarations: "Beyannameler",
      tab_averages: "Ortalama süreler",
      tab_statistics: "İstatistikler",
      tab_users: "Kullanıcılar",
      declarations_title: "Beyannamelerim",
      filter: "Süz",
      filter_hint: "Beyanname no, karne no, rejim, aşama, gümrük…",
      shown_of: "{shown} / {total} beyanname gösteriliyor",
      col_number: "Beyanname no",
      col_carnet: "Karne no",
      col_regime: "Rejim",
      col_stage: "Aşama",
      col_office: "Gümrük idaresi",
      col_where: "Eşya nerede",
      col_started: "Başlangıç",
      col_ended: "Bitiş",
      col_duration: "Süre",
      col_actor: "İşlemi yapan",
      col_sent_by: "Gönderen sistem",
      sender_frontend: "e-ATA/TR",
      sender_adapter_bilge: "BİLGE",
      sender_bilge_reconciliation: "BİLGE mutabakatı",
      no_declarations: "Beyanname yok.",
      timeline_title: "Zaman çizelgesi",
      close: "Kapat",
      open_declaration: "{number} beyannamesinin zaman çizelgesini aç",
      fact_holder: "Karne hamili",
      fact_lodged: "Tescil",
      fact_closed: "Kapanış",
      fact_deadline: "Yeniden ihracat/ithalat süresi",
      fact_overdue: "Süresi geçti",
      fact_destination: "Varış gümrüğü",
      legacy: "BİLGE'de tescilli (eski beyanname)",
      in_storage: "geçici depolama yeri {code}",
      so_far: "{duration} (sürüyor)",
      since: "{duration} önce",
      since_note: "Gümrük işlemi tamamlandı; beyanname eşyanın yeniden ihracatını, ithalatını ya da çıkışını bekliyor.",
      not_ended: "—",
      nobody: "—",
      averages_title: "ATA beyannameleri: aşama başına ortalama süreler",
      averages_text:
        "Kullandığınız gümrük idarelerinde, o ay tescil edilen tüm beyannamelerin aşama süreleri. Kalın çubuk: ortalama; ince çubuk: medyan.",
      declarant: "Beyan sahibi",
      all_my_offices: "Kullandığım tüm gümrükler",
      all_regimes: "Tüm rejimler",
      month: "Ay",
      show: "Göster",
      no_data: "Veri yok.",
      average: "ortalama",
      median: "medyan",
      count_n: "n = {n}",
      chart_label: "{office}, {regime}, {month}: aşama başına ortalama süre",
      statistics_title: "ATA karnesi istatistikleri",
      stats_by: "Gruplama",
      col_country: "Karneyi veren ülke",
      col_region: "Bölge",
      col_directorate: "Bölge müdürlüğü",
      legend_country: "ATA karnesini düzenleyen ülke (ISO kodu).",
      legend_region: "Beyannamenin tescil edildiği gümrük idaresinin coğrafi bölgesi.",
      legend_directorate: "O gümrük idaresinin bağlı olduğu Gümrük ve Dış Ticaret Bölge Müdürlüğü (GDTBM).",
      gdtbm_long: "Gümrük ve Dış Ticaret Bölge Müdürlüğü",
      averages_legend: "sn: saniye · dk: dakika · sa: saat · g: gün · n: ortalamaya giren aşama sayısı.",
      col_carnets: "Karne",
      col_declarations: "Beyanname",
      col_open: "Açık",
      col_closed: "Kapanmış",
      col_rejected: "Reddedilen",
      col_cancelled: "İptal",
      col_overdue: "Süresi geçen",
      col_time_to_close: "Ortalama kapanma süresi",
      stats_chart_label: "Gruba göre beyanname sayısı",
      unknown: "bilinmiyor",
      users_title: "Kullanıcılar",
      users_count: "{n} / 5 kişi",
      name: "Ad soyad",
      status: "Durum",
      actions: "İşlemler",
      active: "Etkin",
      cancelled_user: "İptal edildi",
      owner: "başvuran (firma yetkilisi)",
      cancel_user: "Kullanıcı kodunu iptal et",
      cancel_user_label: "{code} kullanıcı kodunu iptal et",
      confirm_cancel: "{code} kullanıcı kodu iptal edilsin mi?",
      user_cancelled: "{code} kullanıcı kodu iptal edildi.",
      add_user: "Kullanıcı ekle",
      tckn: "T.C. kimlik no",
      add: "Ekle",
      a6_hint: "Bir firma en çok 5 kişiye kullanım hakkı verebilir (A6).",
      user_added: "{name} eklendi; kullanıcı kodu: {code}. Parola firmanın YKTS'de kayıtlı e-posta adresine gönderildi.",
      change_password: "Parola değiştir",
      old_password: "Eski parola",
      new_password: "Yeni parola",
      new_password_again: "Yeni parola (tekrar)",
      password_rules: "En az 10 karakter; kullanıcı kodu ve eski parola olamaz.",
      first_password_title: "İlk parolanızı değiştirin",
      first_password_text: "E-postayla gelen ilk parolanızı değiştirmeden program kullanılamaz (A7).",
      initial_password: "E-postayla gelen parola",
      err_mismatch: "Yeni parola iki kez aynı yazılmalı.",
      err_a7_first: "Kural A7: önce e-postayla gelen ilk parolanızı değiştirin.",
      err_old_password: "Eski parola yanlış; parola değiştirilmedi.",
      waiting_first_login: "İlk parola henüz değiştirilmedi",
      change: "Değiştir",
      password_changed: "Parolanız değiştirildi.",
      logged_out: "Çıkış yaptınız.",
      err_required: "Lütfen tüm alanları doldurun.",
      err_tckn: "T.C. kimlik numarası 11 rakamdır.",
      err_network: "Sunucuya ulaşılamadı. Bağlantınızı kontrol edip yeniden deneyin.",
      err_400: "İstek geçersiz.",
      err_401: "Kullanıcı kodu veya parola hatalı, ya da oturumunuz sona erdi. Lütfen yeniden giriş yapın.",
      err_403: "Bu işlem için yetkiniz yok.",
      err_404: "Bulunamadı.",
      err_409: "İşlem yapılamadı: çakışma.",
      err_422: "Girilen bilgiler geçersiz.",
      err_423: "Hesap kilitli. Bir süre sonra yeniden deneyin.",
      err_429: "Çok fazla deneme. Bir süre sonra yeniden deneyin.",
      err_500: "Sunucuda bir hata oluştu. Daha sonra yeniden deneyin.",
      err_a6: "Kural A6: bir firma en çok 5 kişiye kullanım hakkı verebilir; 6. kişi eklenemez.",
      err_rule: "Kural {rule}",
    },
    en: {
      skip: "Skip to content",
      subtitle: "Following my goods through customs",
      user_code_short: "User",
      logout: "Log out",
      notice_default: "This information is for guidance only and is not legally binding.",
      login_title: "Log in",
      user_code: "User code",
      password: "Password",
      login: "Log in",
      tab_declarations: "Declarations",
      tab_averages: "Average times",
      tab_statistics: "Statistics",
      tab_users: "Users",
      declarations_title: "My declarations",
      filter: "Filter",
      filter_hint: "Declaration no., carnet no., regime, stage, office…",
      shown_of: "Showing {shown} of {total} declarations",
      col_number: "Declaration no.",
      col_carnet: "Carnet no.",
      col_regime: "Regime",
      col_stage: "Stage",
      col_office: "Customs office",
      col_where: "Where the goods are",
      col_started: "Started",
      col_ended: "Ended",
      col_duration: "Duration",
      col_actor: "Done by",
      col_sent_by: "Sent by",
      sender_frontend: "e-ATA/TR",
      sender_adapter_bilge: "BİLGE",
      sender_bilge_reconciliation: "BİLGE reconciliation",
      no_declarations: "No declarations.",
      timeline_title: "Timeline",
      close: "Close",
      open_declaration: "Open the timeline of declaration {number}",
      fact_holder: "Carnet holder",
      fact_lodged: "Lodged",
      fact_closed: "Closed",
      fact_deadline: "Re-export/re-import deadline",
      fact_overdue: "Deadline passed",
      fact_destination: "Destination office",
      legacy: "Registered in BİLGE (legacy declaration)",
      in_storage: "temporary storage {code}",
      so_far: "{duration} (ongoing)",
      since: "{duration} ago",
      since_note: "Customs processing is complete; the declaration awaits the goods' re-export, re-import or exit.",
      not_ended: "—",
      nobody: "—",
      averages_title: "ATA declarations: average time per stage",
      averages_text:
        "Stage times of all declarations lodged that month at the customs offices you use. Thick bar: average; thin bar: median.",
      declarant: "Declarant",
      all_my_offices: "All the offices I use",
      all_regimes: "All regimes",
      month: "Month",
      show: "Show",
      no_data: "No data.",
      average: "average",
      median: "median",
      count_n: "n = {n}",
      chart_label: "{office}, {regime}, {month}: average time per stage",
      statistics_title: "ATA carnet statistics",
      stats_by: "Group by",
      col_country: "Issuing country",
      col_region: "Region",
      col_directorate: "Regional directorate",
      legend_country: "The country that issued the ATA carnet (ISO code).",
      legend_region: "The geographical region of the customs office where the declaration was lodged.",
      legend_directorate:
        "The Regional Directorate of Customs and Foreign Trade (GDTBM) that customs office belongs to.",
      gdtbm_long: "Gümrük ve Dış Ticaret Bölge Müdürlüğü (Regional Directorate of Customs and Foreign Trade)",
      averages_legend: "s: seconds · min: minutes · h: hours · d: days · n: number of stages averaged.",
      col_carnets: "Carnets",
      col_declarations: "Declarations",
      col_open: "Open",
      col_closed: "Closed",
      col_rejected: "Rejected",
      col_cancelled: "Cancelled",
      col_overdue: "Overdue",
      col_time_to_close: "Average time to close",
      stats_chart_label: "Declarations per group",
      unknown: "unknown",
      users_title: "Users",
      users_count: "{n} of 5 persons",
      name: "Full name",
      status: "Status",
      actions: "Actions",
      active: "Active",
      cancelled_user: "Cancelled",
      owner: "applicant (firm's representative)",
      cancel_user: "Cancel user code",
      cancel_user_label: "Cancel user code {code}",
      confirm_cancel: "Cancel user code {code}?",
      user_cancelled: "User code {code} cancelled.",
      add_user: "Add a user",
      tckn: "Turkish ID no. (TCKN)",
      add: "Add",
      a6_hint: "A firm may give use rights to at most 5 persons (A6).",
      user_added: "{name} added; user code: {code}. The password was sent to the firm's e-mail address registered in YKTS.",
      change_password: "Change password",
      old_password: "Old password",
      new_password: "New password",
      new_password_again: "New password (again)",
      password_rules: "At least 10 characters; not the user code, not the old password.",
      first_password_title: "Change your initial password",
      first_password_text: "The programme cannot be used until the initial password sent by e-mail is changed (A7).",
      initial_password: "Password from the e-mail",
      err_mismatch: "Type the same new password twice.",
      err_a7_first: "Rule A7: change the initial password sent by e-mail first.",
      err_old_password: "The old password is wrong; the password was not changed.",
      waiting_first_login: "Initial password not changed yet",
      change: "Change",
      password_changed: "Your password was changed.",
      logged_out: "You are logged out.",
      err_required: "Please fill in every field.",
      err_tckn: "A Turkish ID number (TCKN) has 11 digits.",
      err_network: "The server cannot be reached. Check your connection and try again.",
      err_400: "The request is not valid.",
      err_401: "Wrong user code or password, or your session ended. Please log in again.",
      err_403: "You may not do this.",
      err_404: "Not found.",
      err_409: "This cannot be done: conflict.",
      err_422: "What was entered is not valid.",
      err_423: "The account is locked. Try again later.",
      err_429: "Too many attempts. Try again later.",
      err_500: "The server failed. Try again later.",
      err_a6: "Rule A6: a firm may give use rights to at most 5 persons; a 6th cannot be added.",
      err_rule: "Rule {rule}",
    },
  };

  const STAGES = {
    tr: {
      lodged: "Tescil edildi",
      accepted: "Kabul edildi",
      inspection_completed: "Muayene tamamlandı",
      closed: "Kapanmış",
      rejected: "Reddedildi",
      cancelled: "İptal edildi",
    },
    en: {
      lodged: "Lodged",
      accepted: "Accepted",
      inspection_completed: "Inspection completed",
      closed: "Closed",
      rejected: "Rejected",
      cancelled: "Cancelled",
    },
  };

  const ROLES = {
    tr: { liaison: "İrtibat servisi", inspection_officer: "Muayene memuru", director: "Gümrük müdürü" },
    en: { liaison: "Liaison service", inspection_officer: "Inspection officer", director: "Customs director" },
  };

  const REGIMES = {
    tr: {
      "5800": "5800 geçici ithalat",
      "3158": "3158 yeniden ihracat",
      "2600": "2600 geçici ihracat",
      "6326": "6326 yeniden ithalat",
      "ATA-TR/GİRİŞ": "ATA-TR/GİRİŞ transit",
      "ATA-TR/ÇIKIŞ": "ATA-TR/ÇIKIŞ transit",
    },
    en: {
      "5800": "5800 temporary import",
      "3158": "3158 re-export",
      "2600": "2600 temporary export",
      "6326": "6326 re-import",
      "ATA-TR/GİRİŞ": "ATA-TR/GİRİŞ transit in",
      "ATA-TR/ÇIKIŞ": "ATA-TR/ÇIKIŞ transit out",
    },
  };

  const UNITS = {
    tr: { d: "g", h: "sa", m: "dk", s: "sn" },
    en: { d: "d", h: "h", m: "min", s: "s" },
  };

  const LOCALES = { tr: "tr-TR", en: "en-GB" };
  const MAX_PERSONS = 5; // rule: A6

  // ---------------------------------------------------------------- state

  const state = {
    lang: "tr",
    notice: null, // the last answer's {tr, en} (A8)
    session: null, // {firm_vkn, firm_name, user_code}
    declarations: [],
    openNumber: null,
    timeline: null,
    averages: null,
    statistics: null,
    statsBy: "country",
    monthSet: false, // the averages' month field got its default (the charts' month) once per session
    users: [],
    tab: "declarations",
    lastError: null, // {key, vars, server} to re-render in the other language
    lastInfo: null,
  };

  const $ = (id) => document.getElementById(id);

  function t(key, vars) {
    const table = I18N[state.lang] || I18N.tr;
    let text = key in table ? table[key] : I18N.tr[key] !== undefined ? I18N.tr[key] : key;
    if (vars) {
      for (const [name, value] of Object.entries(vars)) text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  }

  function fromTable(tables, code) {
    if (code === null || code === undefined || code === "") return "";
    const table = tables[state.lang] || tables.tr;
    return table[code] || code;
  }

  const stageLabel = (code) => fromTable(STAGES, code);
  const roleLabel = (code) => fromTable(ROLES, code);
  const regimeLabel = (code) => fromTable(REGIMES, code);

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [name, value] of Object.entries(attrs)) {
        if (value === null || value === undefined || value === false) continue;
        if (name === "text") node.textContent = value;
        else if (name === "className") node.className = value;
        else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
        else node.setAttribute(name, value === true ? "" : value);
      }
    }
    for (const child of [].concat(children || [])) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const SVG_NS = "http://www.w3.org/2000/svg";

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ---------------------------------------------------------------- formatting

  /** A duration as a person reads it: "< 0,1 sn" and one decimal under 10 s (a bar of 0.4 s is not
   * "0 sn"), whole seconds under a minute, then minutes (and seconds under 10 min), hours and
   * minutes, days and hours. */
  function formatDuration(seconds) {
    if (seconds === null || seconds === undefined || seconds === "" || Number.isNaN(Number(seconds))) return "";
    const u = UNITS[state.lang] || UNITS.tr;
    const value = Math.max(0, Number(seconds));
    if (value === 0) return "0 " + u.s;
    if (value < 0.05) return "< " + decimal(0.1) + " " + u.s;
    if (value < 9.95) return decimal(Math.round(value * 10) / 10) + " " + u.s;
    let rest = Math.round(value);
    if (rest < 60) return rest + " " + u.s;
    const days = Math.floor(rest / 86400);
    rest -= days * 86400;
    const hours = Math.floor(rest / 3600);
    rest -= hours * 3600;
    const minutes = Math.floor(rest / 60);
    const secs = rest - minutes * 60;
    const parts = [];
    if (days) parts.push(days + " " + u.d);
    if (hours) parts.push(hours + " " + u.h);
    if (minutes && !days) parts.push(minutes + " " + u.m);
    if (secs && !days && !hours && minutes < 10) parts.push(secs + " " + u.s);
    return parts.join(" ");
  }

  function decimal(value) {
    return new Intl.NumberFormat(LOCALES[state.lang], { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(value);
  }

  function formatTime(value) {
    if (!value) return "";
    const at = new Date(value);
    if (Number.isNaN(at.getTime())) return String(value);
    try {
      return new Intl.DateTimeFormat(LOCALES[state.lang], {
        dateStyle: "medium",
        timeStyle: "short",
        timeZone: "Europe/Istanbul",
      }).format(at);
    } catch (e) {
      return at.toISOString();
    }
  }

  function formatDate(value) {
    if (!value) return "";
    const at = new Date(value + "T12:00:00+03:00");
    if (Number.isNaN(at.getTime())) return String(value);
    return new Intl.DateTimeFormat(LOCALES[state.lang], { dateStyle: "medium", timeZone: "Europe/Istanbul" }).format(at);
  }

  function formatMonth(value) {
    if (!value) return "";
    const at = new Date(value + "-15T12:00:00+03:00");
    if (Number.isNaN(at.getTime())) return String(value);
    return new Intl.DateTimeFormat(LOCALES[state.lang], { year: "numeric", month: "long" }).format(at);
  }

  function countryName(code) {
    if (!code || code === "unknown") return t("unknown");
    try {
      const names = new Intl.DisplayNames([LOCALES[state.lang]], { type: "region" });
      const name = names.of(code);
      return name && name !== code ? name + " (" + code + ")" : code;
    } catch (e) {
      return code;
    }
  }

  function officeText(code, name) {
    if (!code) return "";
    return name ? name + " (" + code + ")" : code;
  }

  function whereText(d) {
    const loc = d.location || {};
    const parts = [officeText(loc.office, loc.office_name)];
    if (loc.temporary_storage_code) parts.push(t("in_storage", { code: loc.temporary_storage_code }));
    return parts.filter(Boolean).join(", ");
  }

  // ---------------------------------------------------------------- messages (A8 notice, errors)

  function renderNotice() {
    const notice = state.notice;
    const text = notice && (notice[state.lang] || notice.tr || notice.en);
    $("notice").textContent = text || t("notice_default");
  }

  function setNotice(notice) {
    if (notice && typeof notice === "object" && (notice.tr || notice.en)) {
      state.notice = notice;
      renderNotice();
    }
  }

  /** The server's own words, in the page's language where it gives both. */
  function serverWords(data) {
    if (!data || typeof data !== "object") return "";
    const pick = (value) => {
      if (value === null || value === undefined) return "";
      if (typeof value === "string") return value;
      if (Array.isArray(value)) {
        return value
          .map((item) => (item && typeof item === "object" ? pick(item.msg || item.message || item.reason || "") : pick(item)))
          .filter(Boolean)
          .join("; ");
      }
      if (typeof value === "object") {
        if (value[state.lang] || value.tr || value.en) return value[state.lang] || value.tr || value.en;
        return pick(value.reason || value.message || value.detail || value.msg || "");
      }
      return String(value);
    };
    const words = pick(data.message) || pick(data.reason) || pick(data.detail);
    const details = Array.isArray(data.errors) ? pick(data.errors) : "";
    return [words, details].filter(Boolean).join(": ");
  }

  /** The rule id an answer names (A6...), wherever the server put it. */
  function ruleOf(data) {
    if (!data || typeof data !== "object") return null;
    const candidates = [data.rule, data.detail && data.detail.rule];
    for (const c of candidates) if (typeof c === "string" && c) return c;
    const words = serverWords(data);
    const match = /\b([A-Z][0-9])\b/.exec(words);
    return match ? match[1] : null;
  }

  class ApiError extends Error {
    constructor(status, data) {
      super("HTTP " + status);
      this.status = status;
      this.data = data;
    }
  }

  function describeError(error) {
    if (!(error instanceof ApiError)) return { key: "err_network" };
    const rule = ruleOf(error.data);
    if (rule === "A6") return { key: "err_a6", server: error.data };
    if (rule === "A7" && error.status === 403 && /initial password/i.test(serverWords(error.data))) {
      return { key: "err_a7_first", server: error.data };
    }
    const key = error.status === 0 ? "err_network" : "err_" + error.status;
    const known = I18N.tr[key] !== undefined ? key : error.status >= 500 ? "err_500" : "err_400";
    return { key: known, rule: rule, server: error.data };
  }

  function renderMessages() {
    const box = $("error");
    const err = state.lastError;
    box.replaceChildren();
    if (err) {
      box.append(el("p", { text: t(err.key, err.vars) }));
      const words = serverWords(err.server);
      if (words && words !== t(err.key, err.vars)) {
        box.append(el("p", { className: "server-words", text: (err.rule ? t("err_rule", { rule: err.rule }) + ": " : "") + words }));
      }
    }
    box.hidden = !err;
    const info = $("info");
    info.textContent = state.lastInfo ? t(state.lastInfo.key, state.lastInfo.vars) : "";
    info.hidden = !state.lastInfo;
  }

  function showError(error) {
    state.lastError = error && error.key ? error : describeError(error);
    state.lastInfo = null;
    renderMessages();
  }

  function showInfo(key, vars) {
    state.lastInfo = { key: key, vars: vars };
    state.lastError = null;
    renderMessages();
  }

  function clearMessages() {
    state.lastError = null;
    state.lastInfo = null;
    renderMessages();
  }

  // ---------------------------------------------------------------- HTTP

  async function api(method, path, body) {
    const options = { method: method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch (e) {
      throw new ApiError(0, null);
    }
    let data = null;
    const text = await response.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (e) {
        data = { detail: text };
      }
    }
    if (data && data.notice) setNotice(data.notice); // rule: A8, on errors too
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  /** A request of the logged-in page: a 401 means the session is over, back to the login form. */
  async function authed(method, path, body) {
    try {
      return await api(method, path, body);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        endSession();
      } else if (
        error instanceof ApiError &&
        error.status === 403 &&
        path !== "/api/password" &&
        describeError(error).key === "err_a7_first"
      ) {
        showFirstPassword(); // rule: A7
      }
      throw error;
    }
  }

  // ---------------------------------------------------------------- static labels, language

  function applyLabels() {
    document.documentElement.lang = state.lang;
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
      node.setAttribute("placeholder", t(node.dataset.i18nPlaceholder));
    }
    for (const node of document.querySelectorAll("[data-i18n-title]")) node.title = t(node.dataset.i18nTitle);
    $("lang-tr").setAttribute("aria-pressed", String(state.lang === "tr"));
    $("lang-en").setAttribute("aria-pressed", String(state.lang === "en"));
    document.title = "GET-APP — " + t("subtitle");
  }

  function setLanguage(lang) {
    state.lang = I18N[lang] ? lang : "tr";
    try {
      localStorage.setItem("getapp.lang", state.lang);
    } catch (e) {
      /* private mode: the choice lasts for this page only */
    }
    applyLabels();
    renderNotice();
    renderMessages();
    if (state.session) {
      renderDeclarations();
      renderTimeline();
      renderAverageOptions();
      renderAverages();
      renderStatistics();
      renderUsers();
      renderTcgbs(); // A2
    }
  }

  // ---------------------------------------------------------------- session

  function showSessionHeader(session) {
    $("firm-name").textContent = session.firm_name || session.firm_vkn || "";
    $("user-code").textContent = session.user_code || "";
    $("who").hidden = false;
  }

  function startSession(session) {
    state.session = session;
    showSessionHeader(session);
    if (session.must_change_password) {
      showFirstPassword();
      return;
    }
    $("login-view").hidden = true;
    $("first-password-view").hidden = true;
    $("app-view").hidden = false;
    // Only a person authorised in YKTS to represent the firm gives use rights (A4, A6).
    $("add-user-form").hidden = !session.is_owner;
    selectTab("declarations");
    loadDeclarations().then(loadAverages, () => {});
    loadTcgbs(false).then(loadTcgbAverages); // A2, A1: the averages open on the month of the firm's latest TCGB
    loadUsers().catch(() => {});
  }

  /** A7: the initial password came by e-mail; the programme is closed until it is changed. */
  function showFirstPassword() {
    $("login-view").hidden = true;
    $("app-view").hidden = true;
    $("first-password-view").hidden = false;
    $("first-old-password").focus();
  }

  function endSession() {
    state.session = null;
    state.declarations = [];
    state.users = [];
    state.timeline = null;
    state.openNumber = null;
    state.averages = null;
    state.statistics = null;
    state.monthSet = false;
    $("avg-month").value = "";
    $("who").hidden = true;
    $("app-view").hidden = true;
    $("first-password-view").hidden = true;
    $("login-view").hidden = false;
    $("declarations-body").replaceChildren();
    $("users-body").replaceChildren();
    $("averages-chart").replaceChildren();
    $("timeline-view").hidden = true;
    forgetTcgbs(); // A3: nothing of this firm's TCGBs stays on the page for the next one
    $("filter").value = "";
    for (const id of ["login-password", "first-old-password", "first-new-password", "first-new-password-again"]) {
      $(id).value = "";
    }
  }

  async function onLogin(event) {
    event.preventDefault();
    const userCode = $("login-user").value.trim();
    const password = $("login-password").value;
    if (!userCode || !password) {
      showError({ key: "err_required" });
      return;
    }
    try {
      const answer = await api("POST", "/api/login", { user_code: userCode, password: password });
      clearMessages();
      $("login-password").value = "";
      startSession(answer);
    } catch (error) {
      showError(error);
      $("login-password").focus();
    }
  }

  async function onLogout() {
    try {
      await api("POST", "/api/logout");
    } catch (error) {
      /* the cookie is gone either way once the server forgets it; show the login form regardless */
    }
    endSession();
    showInfo("logged_out");
    $("login-user").focus();
  }

  // ---------------------------------------------------------------- tabs

  const TABS = ["declarations", "averages", "statistics", "users"];

  function selectTab(name) {
    state.tab = name;
    for (const tab of TABS) {
      const selected = tab === name;
      $("tab-" + tab).setAttribute("aria-selected", String(selected));
      $("tab-" + tab).tabIndex = selected ? 0 : -1;
      $("panel-" + tab).hidden = !selected;
    }
    // Charts drawn while their panel was hidden had no width to go by: drawn again once shown.
    if (name === "statistics") {
      if (state.statistics) renderStatistics();
      else loadStatistics();
    }
    if (name === "averages") {
      if (state.averages) renderAverages();
      else loadAverages();
      if (tcgbState.averages) renderTcgbAverages();
      else loadTcgbAverages();
    }
  }

  function onTabKey(event) {
    const index = TABS.indexOf(state.tab);
    let next = null;
    if (event.key === "ArrowRight") next = TABS[(index + 1) % TABS.length];
    if (event.key === "ArrowLeft") next = TABS[(index + TABS.length - 1) % TABS.length];
    if (event.key === "Home") next = TABS[0];
    if (event.key === "End") next = TABS[TABS.length - 1];
    if (next) {
      event.preventDefault();
      selectTab(next);
      $("tab-" + next).focus();
    }
  }

  // ---------------------------------------------------------------- declarations (A1, A3)

  async function loadDeclarations() {
    try {
      const answer = await authed("GET", "/api/declarations");
      state.declarations = (answer && answer.declarations) || [];
      renderDeclarations();
      renderAverageOptions();
    } catch (error) {
      showError(error);
      throw error;
    }
  }

  function searchText(d) {
    return [
      d.declaration_number,
      d.carnet_number,
      d.regime,
      regimeLabel(d.regime),
      stageLabel(d.current_stage),
      d.current_stage_tr,
      officeText(d.customs_office, d.customs_office_name),
      whereText(d),
      d.holder_name,
    ]
      .filter(Boolean)
      .join(" ")
      .toLocaleLowerCase(LOCALES[state.lang]);
  }

  function renderDeclarations() {
    const body = $("declarations-body");
    const query = $("filter").value.trim().toLocaleLowerCase(LOCALES[state.lang]);
    const words = query.split(/\s+/).filter(Boolean);
    const shown = state.declarations.filter((d) => {
      const text = searchText(d);
      return words.every((w) => text.includes(w));
    });
    body.replaceChildren(
      ...shown.map((d) => {
        const open = el(
          "button",
          {
            type: "button",
            className: "link",
            "aria-label": t("open_declaration", { number: d.declaration_number }),
            "data-number": d.declaration_number,
            onclick: () => openDeclaration(d.declaration_number),
          },
          d.declaration_number,
        );
        return el(
          "tr",
          {
            "data-number": d.declaration_number,
            className: d.declaration_number === state.openNumber ? "selected" : null,
            "aria-current": d.declaration_number === state.openNumber ? "true" : null,
          },
          [
            el("th", { scope: "row", "data-label": t("col_number") }, open),
            el("td", { "data-label": t("col_carnet"), text: d.carnet_number }),
            el("td", { "data-label": t("col_regime"), text: regimeLabel(d.regime) }),
            el("td", { "data-label": t("col_stage"), className: "stage stage-" + (d.current_stage || "none") }, [
              stageLabel(d.current_stage),
              d.overdue ? el("span", { className: "badge warn", text: t("fact_overdue") }) : null,
            ]),
            el("td", { "data-label": t("col_office"), text: officeText(d.customs_office, d.customs_office_name) }),
            el("td", { "data-label": t("col_where"), text: whereText(d) }),
          ],
        );
      }),
    );
    $("declarations-empty").hidden = shown.length > 0;
    $("declarations-count").textContent = state.declarations.length
      ? t("shown_of", { shown: shown.length, total: state.declarations.length })
      : "";
  }

  async function openDeclaration(number) {
    try {
      const answer = await authed("GET", "/api/declarations/" + encodeURIComponent(number));
      state.openNumber = number;
      state.timeline = answer.declaration;
      clearMessages();
      renderDeclarations();
      renderTimeline();
      $("timeline-view").focus();
    } catch (error) {
      showError(error);
    }
  }

  function renderTimeline() {
    const view = $("timeline-view");
    const d = state.timeline;
    if (!d) {
      view.hidden = true;
      return;
    }
    view.hidden = false;
    $("timeline-number").textContent = d.declaration_number;
    const facts = [
      [t("col_carnet"), d.carnet_number],
      [t("col_regime"), regimeLabel(d.regime)],
      [t("fact_holder"), d.holder_name],
      [t("col_office"), officeText(d.customs_office, d.customs_office_name)],
      [t("fact_destination"), d.destination_office],
      [t("col_stage"), stageLabel(d.current_stage)],
      [t("col_where"), whereText(d)],
      [t("fact_lodged"), formatTime(d.lodged_at)],
      [t("fact_closed"), formatTime(d.closed_at)],
      [t("fact_deadline"), formatDate(d.discharge_deadline)],
      [t("fact_overdue"), d.overdue ? "✔" : ""],
      ["", d.legacy ? t("legacy") : ""],
    ].filter(([, value]) => value);
    $("timeline-facts").replaceChildren(
      ...facts.flatMap(([name, value]) => [el("dt", { text: name }), el("dd", { text: value })]),
    );
    const rows = (d.timeline || []).map((s) => {
      let duration = formatDuration(s.duration_s);
      let note = null;
      if (!duration && s.elapsed_s !== null && s.elapsed_s !== undefined) {
        // Only a customs step under way runs; inspection completed is current "since" (the goods' discharge awaited).
        duration = t(s.running ? "so_far" : "since", { duration: formatDuration(s.elapsed_s) });
        note = s.running ? null : t("since_note");
      }
      let actor = [roleLabel(s.actor_role), s.actor_office].filter(Boolean).join(", ");
      if (!actor && (s.stage === "lodged" || s.stage === "cancelled")) actor = t("declarant"); // the declarant's own acts
      return el("tr", { "data-stage": s.stage }, [
        el("th", { scope: "row", className: "stage stage-" + s.stage, text: stageLabel(s.stage) }),
        el("td", { "data-label": t("col_started") }, s.started_at ? el("time", { datetime: s.started_at, text: formatTime(s.started_at) }) : ""),
        el("td", { "data-label": t("col_ended") }, s.ended_at ? el("time", { datetime: s.ended_at, text: formatTime(s.ended_at) }) : t("not_ended")),
        el("td", { "data-label": t("col_duration"), className: "duration", title: note, text: duration || t("not_ended") }),
        el("td", { "data-label": t("col_actor"), text: actor || t("nobody") }),
        el("td", { "data-label": t("col_sent_by"), className: "sent-by", text: senderLabel(s.sent_by) }),
      ]);
    });
    $("timeline-body").replaceChildren(...rows);
  }

  // The sending system that signed the command (hub/runtime/kafka/receipt.py); one the page does not know shows as named.
  function senderLabel(sender) {
    if (!sender) return "";
    const key = "sender_" + sender.replace(/-/g, "_");
    return key in I18N.tr ? t(key) : sender;
  }

  function closeTimeline() {
    const number = state.openNumber;
    state.openNumber = null;
    state.timeline = null;
    renderTimeline();
    renderDeclarations();
    const button = number && document.querySelector('#declarations-body button[data-number="' + CSS.escape(number) + '"]');
    if (button) button.focus();
  }

  // ---------------------------------------------------------------- average times (A1)

  function firmOffices() {
    const offices = new Map();
    for (const d of state.declarations) {
      if (d.customs_office) offices.set(d.customs_office, d.customs_office_name);
      const loc = d.location || {};
      if (loc.office) offices.set(loc.office, loc.office_name);
    }
    return offices;
  }

  function renderAverageOptions() {
    const office = $("avg-office");
    const regime = $("avg-regime");
    const keepOffice = office.value;
    const keepRegime = regime.value;
    const offices = [...firmOffices().entries()].sort((a, b) => a[0].localeCompare(b[0]));
    office.replaceChildren(
      el("option", { value: "", text: t("all_my_offices") }),
      ...offices.map(([code, name]) => el("option", { value: code, text: officeText(code, name) })),
    );
    office.value = offices.some(([code]) => code === keepOffice) ? keepOffice : "";
    const regimes = [...new Set(state.declarations.map((d) => d.regime).filter(Boolean))].sort();
    regime.replaceChildren(
      el("option", { value: "", text: t("all_regimes") }),
      ...regimes.map((code) => el("option", { value: code, text: regimeLabel(code) })),
    );
    regime.value = regimes.includes(keepRegime) ? keepRegime : "";
    if (!state.monthSet) {
      $("avg-month").value = defaultMonth();
      state.monthSet = true;
    }
  }

  /** The month (YYYY-MM, Türkiye) the averages open on: that of the firm's latest lodged declaration,
   * so that a firm sees figures of its own recent traffic at once; the current month when it has none.
   * The month field always says which month the charts show; emptied, the charts show every month. */
  function defaultMonth() {
    const lodged = state.declarations.map((d) => Date.parse(d.lodged_at)).filter((at) => !Number.isNaN(at));
    const latest = lodged.reduce((a, b) => Math.max(a, b), -Infinity);
    return turkishMonth(lodged.length ? new Date(latest) : new Date());
  }

  function turkishMonth(at) {
    const parts = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Istanbul", year: "numeric", month: "2-digit" })
      .formatToParts(at)
      .reduce((found, part) => ({ ...found, [part.type]: part.value }), {});
    return parts.year + "-" + parts.month;
  }

  async function loadAverages() {
    const params = new URLSearchParams();
    if ($("avg-office").value) params.set("office", $("avg-office").value);
    if ($("avg-regime").value) params.set("regime", $("avg-regime").value);
    if ($("avg-month").value) params.set("month", $("avg-month").value);
    try {
      const answer = await authed("GET", "/api/average-times" + (params.toString() ? "?" + params : ""));
      state.averages = (answer && answer.groups) || [];
      renderAverages();
    } catch (error) {
      showError(error);
    }
  }

  function renderAverages() {
    const mine = firmOffices();
    drawAverages($("averages-chart"), $("averages-empty"), state.averages, (g) => mine.has(g.customs_office), (g) => ({
      title: t("chart_label", {
        office: officeText(g.customs_office, g.customs_office_name),
        regime: regimeLabel(g.regime),
        month: formatMonth(g.month),
      }),
      stageName: stageLabel,
      attrs: { "data-regime": g.regime },
    }));
  }

  /** A1 charts, of ATA declarations or of TCGBs: a figure per group of an answer, only for the offices
   * the firm uses (the averages themselves are over all firms: they name no one), at the box's width.
   * `describe(group)` gives the figure's caption, the stages' names and its data attributes. */
  function drawAverages(box, empty, groups, mine, describe) {
    box.replaceChildren();
    if (!groups) return;
    const shown = groups.filter((g) => mine(g) && (g.stages || []).length);
    empty.hidden = shown.length > 0;
    const width = chartWidth(box);
    shown.forEach((g, index) => box.append(barChart(g, box.id + "-title-" + index, width, describe(g))));
  }

  /** The width a chart is drawn at: its box's, in CSS pixels, so that its text keeps the page's size
   * on a phone as on a desk (a viewBox scaled down to 390 px would shrink the words to a blur). */
  function chartWidth(box) {
    return Math.max(280, Math.min(Math.floor(box.clientWidth || 720), 900));
  }

  const NARROW_CHART = 640; // under it, a stage's words go above its bars instead of beside them

  /** One group (office, regime or direction, month): a bar per stage, average (thick) and median (thin),
   * on the chart's own scale; `how` = {title, stageName, attrs} (drawAverages). */
  function barChart(group, titleId, width, how) {
    let longest = 1;
    for (const s of group.stages) longest = Math.max(longest, s.average_s || 0, s.median_s || 0);
    const narrow = width < NARROW_CHART;
    const labelWidth = narrow ? 0 : 180;
    const textWidth = narrow ? 0 : 340;
    const barArea = Math.max(60, width - labelWidth - textWidth - 16);
    const rowHeight = narrow ? 68 : 34;
    const height = group.stages.length * rowHeight + 8;
    const stageName = how.stageName;
    const figure = el("figure", {
      className: "chart-figure",
      "data-office": group.customs_office,
      "data-month": group.month,
      ...how.attrs,
    });
    figure.append(el("figcaption", { id: titleId, text: how.title }));
    const chart = svg("svg", {
      viewBox: "0 0 " + width + " " + height,
      width: width,
      height: height,
      role: "img",
      "aria-labelledby": titleId,
    });
    group.stages.forEach((s, i) => {
      const y = 4 + i * rowHeight;
      const avgWidth = Math.max(2, Math.round((barArea * (s.average_s || 0)) / longest));
      const medWidth = Math.max(2, Math.round((barArea * (s.median_s || 0)) / longest));
      const words =
        t("average") + " " + formatDuration(s.average_s) + " · " + t("median") + " " + formatDuration(s.median_s) +
        " · " + t("count_n", { n: s.count });
      const row = svg("g", { "data-stage": s.stage });
      row.append(svg("title", {}, stageName(s.stage) + ": " + words));
      if (narrow) {
        // Stage, then its figures, then its bars: each on a line of its own.
        row.append(svg("text", { x: 0, y: y + 13, class: "chart-label" }, stageName(s.stage)));
        row.append(svg("text", { x: 0, y: y + 30, class: "chart-value" }, words));
        row.append(svg("rect", { x: 0, y: y + 38, width: avgWidth, height: 14, class: "bar bar-average" }));
        row.append(svg("rect", { x: 0, y: y + 54, width: medWidth, height: 8, class: "bar bar-median" }));
      } else {
        row.append(svg("text", { x: labelWidth - 8, y: y + 15, "text-anchor": "end", class: "chart-label" }, stageName(s.stage)));
        row.append(svg("rect", { x: labelWidth, y: y, width: avgWidth, height: 14, class: "bar bar-average" }));
        row.append(svg("rect", { x: labelWidth, y: y + 16, width: medWidth, height: 8, class: "bar bar-median" }));
        row.append(svg("text", { x: labelWidth + barArea + 8, y: y + 15, class: "chart-value" }, words));
      }
      chart.append(row);
    });
    figure.append(chart);
    return figure;
  }

  // ---------------------------------------------------------------- statistics (C4)

  async function loadStatistics() {
    try {
      const answer = await authed("GET", "/api/statistics?by=" + encodeURIComponent(state.statsBy));
      state.statistics = answer;
      renderStatistics();
    } catch (error) {
      showError(error);
    }
  }

  function groupName(by, key) {
    if (key === "unknown") return t("unknown");
    return by === "country" ? countryName(key) : key;
  }

  /** "Trakya GDTBM": the abbreviation marked, its long form on hover and to screen readers (the legend says it too). */
  function withAbbreviations(text) {
    const parts = String(text).split(/\b(GDTBM)\b/);
    return parts.map((part, i) => (i % 2 ? el("abbr", { title: t("gdtbm_long"), text: part }) : part));
  }

  function renderStatistics() {
    for (const button of document.querySelectorAll(".stats-by")) {
      button.setAttribute("aria-pressed", String(button.dataset.by === state.statsBy));
    }
    const answer = state.statistics;
    const head = $("statistics-head");
    const body = $("statistics-body");
    const chart = $("statistics-chart");
    chart.replaceChildren();
    if (!answer) {
      head.replaceChildren();
      body.replaceChildren();
      return;
    }
    const by = answer.by || state.statsBy;
    const columns = [
      ["carnets", "col_carnets"],
      ["declarations", "col_declarations"],
      ["open", "col_open"],
      ["closed", "col_closed"],
      ["rejected", "col_rejected"],
      ["cancelled", "col_cancelled"],
      ["overdue", "col_overdue"],
    ];
    head.replaceChildren(
      el("th", { scope: "col", text: t("col_" + by) }),
      ...columns.map(([, label]) => el("th", { scope: "col", className: "num", text: t(label) })),
      el("th", { scope: "col", text: t("col_time_to_close") }),
    );
    const groups = answer.groups || [];
    body.replaceChildren(
      ...groups.map((g) =>
        el("tr", { "data-key": g.key }, [
          el("th", { scope: "row" }, withAbbreviations(groupName(by, g.key))),
          ...columns.map(([field, label]) =>
            el("td", { "data-label": t(label), className: "num", text: String(g[field] ?? 0) }),
          ),
          el("td", { "data-label": t("col_time_to_close"), text: formatDuration(g.average_time_to_close_s) || "—" }),
        ]),
      ),
    );
    $("statistics-empty").hidden = groups.length > 0;
    if (groups.length) {
      const most = groups.reduce((m, g) => Math.max(m, g.declarations || 0), 1);
      const width = Math.min(chartWidth(chart), 660);
      const labelWidth = Math.min(240, Math.round(width * 0.5));
      const barArea = width - labelWidth - 60;
      const rowHeight = 22;
      const height = groups.length * rowHeight + 6;
      const titleId = "stats-chart-title";
      chart.append(el("p", { id: titleId, className: "muted", text: t("stats_chart_label") }));
      const drawing = svg("svg", {
        viewBox: "0 0 " + width + " " + height,
        width: width,
        height: height,
        role: "img",
        "aria-labelledby": titleId,
      });
      groups.forEach((g, i) => {
        const y = 3 + i * rowHeight;
        const w = Math.max(2, Math.round((barArea * (g.declarations || 0)) / most));
        const name = groupName(by, g.key);
        drawing.append(svg("text", { x: labelWidth - 8, y: y + 13, "text-anchor": "end", class: "chart-label" }, name));
        drawing.append(svg("rect", { x: labelWidth, y: y, width: w, height: 16, class: "bar bar-average" }));
        drawing.append(svg("text", { x: labelWidth + w + 6, y: y + 13, class: "chart-value" }, String(g.declarations || 0)));
      });
      chart.append(drawing);
    }
  }

  // ---------------------------------------------------------------- users (A6, A7)

  async function loadUsers() {
    try {
      const answer = await authed("GET", "/api/users");
      state.users = Array.isArray(answer) ? answer : (answer && (answer.users || answer.items)) || [];
      renderUsers();
    } catch (error) {
      showError(error);
      throw error;
    }
  }

  function isActive(user) {
    if (user.active !== undefined) return Boolean(user.active);
    if (user.cancelled !== undefined) return !user.cancelled;
    return !user.cancelled_at;
  }

  function renderUsers() {
    const active = state.users.filter(isActive);
    $("users-count").textContent = t("users_count", { n: active.length });
    $("users-body").replaceChildren(
      ...state.users.map((u) => {
        const code = u.user_code;
        const me = state.session || {};
        const cancel =
          isActive(u) && me.is_owner && code !== me.user_code
            ? el(
                "button",
                {
                  type: "button",
                  className: "danger",
                  "aria-label": t("cancel_user_label", { code: code }),
                  "data-code": code,
                  onclick: () => cancelUser(code),
                },
                t("cancel_user"),
              )
            : "";
        return el("tr", { "data-code": code, className: isActive(u) ? null : "inactive" }, [
          el("th", { scope: "row", "data-label": t("user_code"), text: code }),
          el("td", { "data-label": t("name") }, [
            u.name || "",
            u.is_owner ? el("span", { className: "muted", text: " — " + t("owner") }) : null,
          ]),
          el("td", { "data-label": t("tckn"), text: u.tckn || "" }),
          el("td", {
            "data-label": t("status"),
            text: !isActive(u) ? t("cancelled_user") : u.must_change_password ? t("waiting_first_login") : t("active"),
          }),
          el("td", { className: "actions" }, cancel),
        ]);
      }),
    );
  }

  async function addUser(event) {
    event.preventDefault();
    const name = $("new-user-name").value.trim();
    const tckn = $("new-user-tckn").value.trim();
    if (!name || !tckn) {
      showError({ key: "err_required" });
      return;
    }
    if (!/^[0-9]{11}$/.test(tckn)) {
      showError({ key: "err_tckn" });
      $("new-user-tckn").focus();
      return;
    }
    try {
      const answer = await authed("POST", "/api/users", { name: name, tckn: tckn });
      $("new-user-name").value = "";
      $("new-user-tckn").value = "";
      showInfo("user_added", { name: name, code: (answer && answer.user_code) || "" });
      await loadUsers();
    } catch (error) {
      showError(error);
    }
  }

  async function cancelUser(code) {
    if (!window.confirm(t("confirm_cancel", { code: code }))) return;
    try {
      await authed("DELETE", "/api/users/" + encodeURIComponent(code));
      showInfo("user_cancelled", { code: code });
      await loadUsers();
    } catch (error) {
      showError(error);
    }
  }

  function readNewPassword(oldId, newId, againId) {
    const oldPassword = $(oldId).value;
    const newPassword = $(newId).value;
    if (!oldPassword || !newPassword || !$(againId).value) {
      showError({ key: "err_required" });
      return null;
    }
    if (newPassword !== $(againId).value) {
      showError({ key: "err_mismatch" });
      $(againId).focus();
      return null;
    }
    return { old_password: oldPassword, new_password: newPassword };
  }

  function clearFields(...ids) {
    for (const id of ids) $(id).value = "";
  }

  /** A 403 of /api/password is the old password refused (A7), not a missing right. */
  function passwordError(error) {
    if (error instanceof ApiError && error.status === 403) {
      showError({ key: "err_old_password", rule: ruleOf(error.data), server: error.data });
    } else {
      showError(error);
    }
  }

  async function changePassword(event) {
    event.preventDefault();
    const body = readNewPassword("old-password", "new-password", "new-password-again");
    if (!body) return;
    try {
      await authed("POST", "/api/password", body);
      clearFields("old-password", "new-password", "new-password-again");
      showInfo("password_changed");
    } catch (error) {
      passwordError(error);
    }
  }

  async function changeFirstPassword(event) {
    event.preventDefault();
    const body = readNewPassword("first-old-password", "first-new-password", "first-new-password-again");
    if (!body) return;
    try {
      await authed("POST", "/api/password", body);
      clearFields("first-old-password", "first-new-password", "first-new-password-again");
      const session = await authed("GET", "/api/session");
      showInfo("password_changed");
      startSession(session);
    } catch (error) {
      passwordError(error);
    }
  }

  // ---------------------------------------------------------------- TCGBs (A2, A3)

  // The TCGBs lodged in BİLGE where the firm is consignee or consignor: a page at a time, newest first.
  const TCGB_I18N = {
    tr: {
      title: "TCGB'lerim (ithalat ve ihracat)",
      number: "TCGB no", direction: "Yön", stage: "Aşama", channel: "Kanal", office: "Gümrük idaresi",
      registered: "Tescil", role: "Rolünüz", where: "Eşya nerede", started: "Başlangıç", ended: "Bitiş",
      duration: "Süre", more: "Daha fazla", close: "Kapat", empty: "TCGB yok.",
      import: "İthalat", export: "İhracat", consignee: "Alıcı", consignor: "Gönderici", both: "Alıcı ve gönderici",
      green: "Yeşil", yellow: "Sarı", red: "Kırmızı", blue: "Mavi", so_far: "{duration} (sürüyor)",
      averages_title: "TCGB'ler: aşama başına ortalama süreler",
      averages_text: "Kullandığınız gümrük idarelerinde, o ay tescil edilen tüm TCGB'lerin aşama süreleri. " +
        "Kalın çubuk: ortalama; ince çubuk: medyan.",
      all_directions: "İthalat ve ihracat",
      chart_label: "{office}, {direction}, {month}: TCGB aşama başına ortalama süre",
      legend: "TCGB: Türkiye Gümrük Beyannamesi, BİLGE'de tescil edilen ithalat ya da ihracat beyannamesi. " +
        "Bir aşamanın süresi, sonraki aşamaya geçilene kadar geçen süredir.",
    },
    en: {
      title: "My TCGBs (imports and exports)",
      number: "TCGB no.", direction: "Direction", stage: "Stage", channel: "Channel", office: "Customs office",
      registered: "Registered", role: "Your role", where: "Where the goods are", started: "Started", ended: "Ended",
      duration: "Duration", more: "More", close: "Close", empty: "No TCGBs.",
      import: "Import", export: "Export", consignee: "Consignee", consignor: "Consignor", both: "Consignee and consignor",
      green: "Green", yellow: "Yellow", red: "Red", blue: "Blue", so_far: "{duration} (ongoing)",
      averages_title: "TCGBs: average time per stage",
      averages_text: "Stage times of all TCGBs registered that month at the customs offices you use. " +
        "Thick bar: average; thin bar: median.",
      all_directions: "Imports and exports",
      chart_label: "{office}, {direction}, {month}: average TCGB time per stage",
      legend: "TCGB: Türkiye Gümrük Beyannamesi, the Turkish customs declaration of an import or export " +
        "registered in BİLGE. A stage's time runs until the next stage begins.",
    },
  };
  const TCGB_STAGES = {
    tr: { registered: "Tescil edildi", channel_assigned: "Kanal belirlendi", examined: "Muayene / belge kontrolü",
      paid: "Vergiler ödendi", released: "Serbest bırakıldı", exited: "Çıkış yapıldı" },
    en: { registered: "Registered", channel_assigned: "Channel assigned", examined: "Examined / documents checked",
      paid: "Duties paid", released: "Released", exited: "Exited" },
  };
  // averages: the last /api/tcgb-average-times groups; asked: the latest request's number (an older answer is dropped).
  const tcgbState = { items: [], next: null, open: null, averages: null, monthSet: false, asked: 0 };

  function forgetTcgbs() {
    Object.assign(tcgbState, { items: [], next: null, open: null, averages: null, monthSet: false });
    tcgbState.asked += 1;
    $("tcgb-avg-month").value = "";
    $("tcgbs-body").replaceChildren();
    $("tcgb-averages-chart").replaceChildren();
    $("tcgb-view").hidden = true;
  }

  function tt(key, vars) {
    let text = (TCGB_I18N[state.lang] || TCGB_I18N.tr)[key] || key;
    for (const [name, value] of Object.entries(vars || {})) text = text.split("{" + name + "}").join(String(value));
    return text;
  }

  function tcgbStage(stage) {
    return (TCGB_STAGES[state.lang] || TCGB_STAGES.tr)[stage] || stage || "";
  }

  async function loadTcgbs(more) {
    try {
      const after = more && tcgbState.next ? "&after=" + encodeURIComponent(tcgbState.next) : "";
      const answer = await authed("GET", "/api/tcgbs?limit=50" + after);
      tcgbState.items = (more ? tcgbState.items : []).concat((answer && answer.tcgbs) || []);
      tcgbState.next = (answer && answer.next) || null;
      renderTcgbs();
    } catch (error) {
      showError(error);
    }
  }

  function renderTcgbs() {
    $("tcgbs-title").textContent = tt("title");
    $("tcgbs-head").replaceChildren(
      ...["number", "direction", "stage", "channel", "office", "registered", "role"].map((k) =>
        el("th", { scope: "col", text: tt(k) }),
      ),
    );
    $("tcgbs-body").replaceChildren(
      ...tcgbState.items.map((x) =>
        el("tr", { "data-tcgb": x.tcgb_number }, [
          el("th", { scope: "row", "data-label": tt("number") }, el("button", {
            type: "button", className: "link", "data-tcgb": x.tcgb_number, onclick: () => openTcgb(x.tcgb_number),
          }, x.tcgb_number)),
          el("td", { "data-label": tt("direction"), text: tt(x.direction) }),
          el("td", { "data-label": tt("stage"), className: "stage", text: tcgbStage(x.current_stage) }),
          el("td", { "data-label": tt("channel"), text: x.channel ? tt(x.channel) : "" }),
          el("td", { "data-label": tt("office"), text: officeText(x.customs_office, x.customs_office_name) }),
          el("td", { "data-label": tt("registered") }, el("time", { datetime: x.registered_at, text: formatTime(x.registered_at) })),
          el("td", { "data-label": tt("role"), text: tt(x.role) }),
        ]),
      ),
    );
    $("tcgbs-empty").textContent = tt("empty");
    $("tcgbs-empty").hidden = tcgbState.items.length > 0;
    $("tcgbs-more").textContent = tt("more");
    $("tcgbs-more").hidden = !tcgbState.next;
    renderTcgb();
    renderTcgbAverageOptions();
    renderTcgbAverages();
  }

  async function openTcgb(number) {
    try {
      const answer = await authed("GET", "/api/tcgbs/" + encodeURIComponent(number));
      tcgbState.open = answer.tcgb;
      renderTcgb();
      $("tcgb-view").focus();
    } catch (error) {
      showError(error);
    }
  }

  function renderTcgb() {
    const x = tcgbState.open;
    $("tcgb-view").hidden = !x;
    $("tcgb-close").textContent = tt("close");
    if (!x) return;
    $("tcgb-title").textContent = tt("number") + ": " + x.tcgb_number;
    const facts = [
      [tt("direction"), tt(x.direction) + " (" + x.regime + ")"],
      [tt("role"), tt(x.role)],
      [tt("office"), officeText(x.customs_office, x.customs_office_name)],
      [tt("channel"), x.channel ? tt(x.channel) : ""],
      [tt("stage"), tcgbStage(x.current_stage)],
      [tt("where"), officeText(x.location.office, x.location.office_name)],
    ].filter(([, value]) => value);
    $("tcgb-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
    $("tcgb-timeline-head").replaceChildren(
      ...["stage", "started", "ended", "duration"].map((k) => el("th", { scope: "col", text: tt(k) })),
    );
    $("tcgb-timeline-body").replaceChildren(
      ...(x.timeline || []).map((s) => {
        const running = s.elapsed_s !== null && s.elapsed_s !== undefined;
        const duration = running ? tt("so_far", { duration: formatDuration(s.elapsed_s) }) : formatDuration(s.duration_s);
        return el("tr", { "data-stage": s.stage }, [
          el("th", { scope: "row", "data-label": tt("stage"), text: tcgbStage(s.stage) }),
          el("td", { "data-label": tt("started") }, el("time", { datetime: s.started_at, text: formatTime(s.started_at) })),
          el("td", { "data-label": tt("ended") }, s.ended_at ? el("time", { datetime: s.ended_at, text: formatTime(s.ended_at) }) : "—"),
          el("td", { "data-label": tt("duration"), className: "duration", text: duration || "—" }),
        ]);
      }),
    );
  }

  // A1 for TCGBs: the ATA averages' bars (drawAverages), per office of registration, direction and month.

  /** The offices where the firm's TCGBs on the page were registered (their averages are the ones shown). */
  function tcgbOffices() {
    return new Map(tcgbState.items.map((x) => [x.customs_office, x.customs_office_name]));
  }

  function renderTcgbAverageOptions() {
    const office = $("tcgb-avg-office");
    const direction = $("tcgb-avg-direction");
    const keepOffice = office.value;
    const keepDirection = direction.value;
    const offices = [...tcgbOffices().entries()].sort((a, b) => a[0].localeCompare(b[0]));
    office.replaceChildren(
      el("option", { value: "", text: t("all_my_offices") }),
      ...offices.map(([code, name]) => el("option", { value: code, text: officeText(code, name) })),
    );
    office.value = offices.some(([code]) => code === keepOffice) ? keepOffice : "";
    direction.replaceChildren(
      ...["", "import", "export"].map((way) => el("option", { value: way, text: tt(way || "all_directions") })),
    );
    direction.value = keepDirection;
    $("tcgb-avg-direction-label").textContent = tt("direction");
    // The month of the firm's latest registration (the list is newest first), as for its ATA declarations.
    if (!tcgbState.monthSet && tcgbState.items.length) {
      const latest = Date.parse(tcgbState.items[0].registered_at);
      if (!Number.isNaN(latest)) $("tcgb-avg-month").value = turkishMonth(new Date(latest));
      tcgbState.monthSet = true;
    }
  }

  async function loadTcgbAverages() {
    const params = new URLSearchParams();
    if ($("tcgb-avg-office").value) params.set("office", $("tcgb-avg-office").value);
    if ($("tcgb-avg-direction").value) params.set("direction", $("tcgb-avg-direction").value);
    if ($("tcgb-avg-month").value) params.set("month", $("tcgb-avg-month").value);
    const asked = ++tcgbState.asked;
    try {
      const answer = await authed("GET", "/api/tcgb-average-times" + (params.toString() ? "?" + params : ""));
      if (asked !== tcgbState.asked) return; // a later request (another month, another firm) answers instead
      tcgbState.averages = (answer && answer.groups) || [];
      // The field names the month shown: left empty, the server answers this month and says so.
      if (answer && answer.month) $("tcgb-avg-month").value = answer.month;
      renderTcgbAverages();
    } catch (error) {
      showError(error);
    }
  }

  function renderTcgbAverages() {
    $("tcgb-averages-title").textContent = tt("averages_title");
    $("tcgb-averages-text").textContent = tt("averages_text");
    $("tcgb-averages-legend").textContent = tt("legend") + " " + t("averages_legend");
    const mine = tcgbOffices();
    drawAverages($("tcgb-averages-chart"), $("tcgb-averages-empty"), tcgbState.averages, (g) => mine.has(g.customs_office), (g) => ({
      title: tt("chart_label", {
        office: officeText(g.customs_office, g.customs_office_name),
        direction: tt(g.direction),
        month: formatMonth(g.month),
      }),
      stageName: tcgbStage,
      attrs: { "data-direction": g.direction },
    }));
  }

  function closeTcgb() {
    const number = tcgbState.open && tcgbState.open.tcgb_number;
    tcgbState.open = null;
    renderTcgb();
    const button = number && document.querySelector('#tcgbs-body button[data-tcgb="' + CSS.escape(number) + '"]');
    if (button) button.focus();
  }

  // ---------------------------------------------------------------- start

  function init() {
    let lang = "tr";
    try {
      lang = localStorage.getItem("getapp.lang") || "tr";
    } catch (e) {
      /* ignore */
    }
    state.lang = I18N[lang] ? lang : "tr";
    applyLabels();
    renderNotice();

    $("lang-tr").addEventListener("click", () => setLanguage("tr"));
    $("lang-en").addEventListener("click", () => setLanguage("en"));
    $("login-form").addEventListener("submit", onLogin);
    $("logout").addEventListener("click", onLogout);
    for (const tab of TABS) $("tab-" + tab).addEventListener("click", () => selectTab(tab));
    document.querySelector(".tabs").addEventListener("keydown", onTabKey);
    $("filter").addEventListener("input", renderDeclarations);
    $("timeline-close").addEventListener("click", closeTimeline);
    $("tcgbs-more").addEventListener("click", () => loadTcgbs(true)); // A2
    $("tcgb-close").addEventListener("click", closeTcgb);
    $("tcgb-averages-form").addEventListener("submit", (event) => {
      event.preventDefault();
      loadTcgbAverages(); // A1
    });
    $("averages-form").addEventListener("submit", (event) => {
      event.preventDefault();
      loadAverages();
    });
    for (const button of document.querySelectorAll(".stats-by")) {
      button.addEventListener("click", () => {
        state.statsBy = button.dataset.by;
        state.statistics = null;
        renderStatistics();
        loadStatistics();
      });
    }
    $("add-user-form").addEventListener("submit", addUser);
    $("password-form").addEventListener("submit", changePassword);
    $("first-password-form").addEventListener("submit", changeFirstPassword);

    // The charts are drawn at their box's width: a turned phone or a resized window redraws them.
    let lastWidth = window.innerWidth;
    window.addEventListener("resize", () => {
      if (window.innerWidth === lastWidth || !state.session) return;
      lastWidth = window.innerWidth;
      renderAverages();
      renderTcgbAverages();
      renderStatistics();
    });

    // A page reloaded within a session: the HttpOnly cookie is still there, the server says whose it is.
    api("GET", "/api/session").then(startSession, () => $("login-user").focus());
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
