package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// Languages: Korean and English, by the lang cookie, else Accept-Language.
const langCookie = "syncmon_lang"

func langOf(c echo.Context) string {
	if ck, err := c.Cookie(langCookie); err == nil && (ck.Value == "ko" || ck.Value == "en") {
		return ck.Value
	}
	for _, part := range strings.Split(c.Request().Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "ko"):
			return "ko"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "en"
}

// setLang stores the chosen language in a cookie and goes back.
func (s *Server) setLang(c echo.Context) error {
	lang := c.FormValue("lang")
	if lang != "ko" && lang != "en" {
		return echo.NewHTTPError(http.StatusBadRequest, "lang must be ko or en")
	}
	c.SetCookie(&http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(c.Request())})
	return c.Redirect(http.StatusSeeOther, safeNext(c.FormValue("next")))
}

// safeNext keeps redirects on this site: a local path or "/".
func safeNext(next string) string {
	// Browsers drop tabs and newlines from URLs and read a backslash as a
	// slash, so "/<TAB>/evil.example" would leave the site: refuse them.
	if strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil ||
		!strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	return next
}

// catalog holds every string of the pages, in English and Korean; one
// literal, complete before anything reads it.
var catalog = map[string][2]string{ // key: {en, ko}
	"dashboard":        {"Dashboard", "대시보드"},
	"alerts":           {"Alerts", "경보"},
	"kiosk":            {"Wall display", "상황판"},
	"screens":          {"Screens", "접속 화면"},
	"targets":          {"Targets", "대상"},
	"active_alerts":    {"Active alerts", "활성 경보"},
	"no_active_alerts": {"No active alerts.", "활성 경보가 없습니다."},
	"program":          {"Program", "프로그램"},
	"group":            {"Group", "그룹"},
	"status":           {"Status", "상태"},
	"lag":              {"Lag at checkpoint", "체크포인트 지연"},
	"checkpoint_age":   {"Time since checkpoint", "체크포인트 경과"},
	"severity":         {"Severity", "심각도"},
	"target":           {"Target", "대상"},
	"process":          {"Process", "프로세스"},
	"message":          {"Message", "메시지"},
	"opened":           {"Opened", "발생"},
	"state":            {"State", "상태"},
	"reachable":        {"reachable", "연결됨"},
	"unreachable":      {"UNREACHABLE", "연결 불가"},
	"observed":         {"observed", "확인"},
	"ack":              {"Acknowledge", "확인 처리"},
	"unack":            {"Take back acknowledgement", "확인 취소"},
	"comment":          {"Comment", "의견"},
	"acked_by":         {"Acknowledged by", "확인자"},
	"history":          {"History", "이력"},
	"send_test":        {"Send test alert", "시험 경보 보내기"},
	"enable_sound":     {"Enable sound", "음성 알림 켜기"},
	"stale":            {"Disconnected — data is stale", "연결 끊김 — 정보가 오래되었습니다"},
	"connecting":       {"connecting…", "연결 중…"},
	"all":              {"All", "전체"},
	"open":             {"open", "미확인"},
	"acked":            {"acknowledged", "확인됨"},
	"resolved":         {"resolved", "해소됨"},
	"no_processes":     {"No processes reported yet.", "아직 보고된 프로세스가 없습니다."},
	"comment_required": {"A comment is required.", "의견을 입력해야 합니다."},
	"comment_too_long": {"The comment is too long.", "의견이 너무 깁니다."},
	"connected_since":  {"Connected since", "접속 시각"},
	"last_heartbeat":   {"Last heartbeat", "마지막 응답"},
	"transport":        {"Transport", "전송 방식"},
	"address":          {"Address", "주소"},
	"who":              {"User or kiosk", "사용자 또는 상황판"},
	"critical":         {"critical", "심각"},
	"warning":          {"warning", "경고"},
	"ok":               {"ok", "정상"},
	"test_message":     {"Message (optional)", "메시지 (선택)"},
	"back":             {"Back", "돌아가기"},
	"mute":             {"Mute 15 min", "15분 음소거"},
	"updated_ago":      {"updated", "갱신"},
	"silences":         {"Silences", "경보 중지"},
	"silenced":         {"silenced", "중지됨"},
	"rule":             {"Rule", "규칙"},
	"duration":         {"Duration", "기간"},
	"start":            {"Start", "시작"},
	"end":              {"End", "종료"},
	"creator":          {"Created by", "작성자"},
	"expire":           {"End now", "지금 종료"},
	"create_silence":   {"Silence", "경보 중지"},
	"no_silences":      {"No silences.", "경보 중지가 없습니다."},
	"notifications":    {"Notifications", "외부 알림"},
	"channel":          {"Channel", "채널"},
	"kind":             {"Kind", "종류"},
	"delivered":        {"Delivered", "전달됨"},
	"failed_attempts":  {"Failed attempts", "실패한 시도"},
	"given_up":         {"Given up", "전달 포기"},
	"attempts":         {"Attempts", "시도"},
	"last_error":       {"Last error", "마지막 오류"},
	"no_channels":      {"No notification channels are configured.", "설정된 알림 채널이 없습니다."},
	"no_failures":      {"Nothing was given up.", "전달을 포기한 알림이 없습니다."},
	"sound_blocked":    {"The browser blocked sound until someone clicks once.", "브라우저가 한 번 클릭할 때까지 소리를 막았습니다."},
	"noscript_refresh": {"JavaScript is off: this page reloads itself every %d s.", "자바스크립트가 꺼져 있어 이 페이지는 %d초마다 새로 고쳐집니다."},
	"more_alerts":      {"more active alerts", "건의 활성 경보 더 있음"},
	"all_clear":        {"All clear", "모두 정상"},
	"no_alerts":        {"No alerts here.", "해당하는 경보가 없습니다."},
	"filter_active":    {"Active", "활성"},
	"filter_open":      {"Open", "미확인"},
	"filter_acked":     {"Acknowledged", "확인됨"},
	"filter_silenced":  {"Silenced", "중지됨"},
	"filter_resolved":  {"Recently resolved", "최근 해소"},
	"filter_all":       {"All", "전체"},
	// Labels the page script reads from <body data-t-*>; {n} is a number.
	"transport_ws":     {"WebSocket", "WebSocket"},
	"transport_sse":    {"SSE", "SSE"},
	"transport_poll":   {"long-poll", "롱폴링"},
	"transport_none":   {"offline", "끊김"},
	"seconds_ago":      {"{n}s ago", "{n}초 전"},
	"many_alerts":      {"{n} new alerts.", "새 경보가 {n}건 있습니다."},
	"reconnected_one":  {"Reconnected. {n} new alert while disconnected.", "연결이 복구되었습니다. 끊긴 동안 새 경보 {n}건."},
	"reconnected_many": {"Reconnected. {n} new alerts while disconnected.", "연결이 복구되었습니다. 끊긴 동안 새 경보 {n}건."},
	"sound_on":         {"Sound on.", "음성 알림이 켜졌습니다."},
	"unmute":           {"Muted, {n} min left: unmute", "음소거 중, {n}분 남음: 해제"},
	// Said by a page whose line stays stale (static/alarm.js); the recordings
	// static/{lost,restored}-{en,ko}.wav say the same (static/mkspeech).
	"line_lost":     {"SyncMon connection lost", "SyncMon 연결이 끊겼습니다"},
	"line_restored": {"SyncMon connection restored", "SyncMon 연결이 복구되었습니다"},

	// Accounts: sign-in, users, kiosk tokens, the audit log.
	"sign_in":            {"Sign in", "로그인"},
	"sign_out":           {"Sign out", "로그아웃"},
	"user_name":          {"User name", "사용자 이름"},
	"password":           {"Password", "비밀번호"},
	"wrong_credentials":  {"Wrong user name or password.", "사용자 이름 또는 비밀번호가 올바르지 않습니다."},
	"too_many_attempts":  {"Too many failed sign-ins for this account or from this address. Try again in %d minutes.", "이 계정 또는 이 주소에서 로그인 실패가 너무 많습니다. %d분 후에 다시 시도하십시오."},
	"kiosk_link_invalid": {"This wall-display link is not valid (revoked or mistyped). Ask an admin for a new one.", "이 상황판 링크는 유효하지 않습니다(폐기되었거나 잘못 입력됨). 관리자에게 새 링크를 요청하십시오."},
	"signed_out":         {"You are signed out.", "로그아웃되었습니다."},
	"kiosk_tokens":       {"Kiosk tokens", "상황판 토큰"},
	"kiosk_name":         {"Display name", "표시 이름"},
	"create_token":       {"Create token", "토큰 만들기"},
	"token_created":      {"Kiosk token created. Open this link once on the wall display; it is shown only now.", "상황판 토큰을 만들었습니다. 상황판에서 이 링크를 한 번 여십시오. 링크는 지금만 표시됩니다."},
	"kiosk_name_invalid": {"A display name of 1 to 64 characters is required.", "1~64자의 표시 이름이 필요합니다."},
	"created_by":         {"Created by", "만든 사람"},
	"created":            {"Created", "생성"},
	"last_used":          {"Last used", "마지막 사용"},
	"revoked":            {"Revoked", "폐기됨"},
	"revoke":             {"Revoke", "폐기"},
	"sessions":           {"Sessions", "세션"},
	"users":              {"Users", "사용자"},
	"role":               {"Role", "역할"},
	"viewer":             {"viewer", "조회자"},
	"admin":              {"admin", "관리자"},
	"add_user":           {"Add user", "사용자 추가"},
	"remove":             {"Remove", "삭제"},
	"end_sessions":       {"Sign out everywhere", "모든 세션 종료"},
	"user_name_invalid":  {"User names are 1 to 64 letters, digits, '.', '_', '-' or '@'.", "사용자 이름은 문자, 숫자, '.', '_', '-', '@'로 1~64자여야 합니다."},
	"role_invalid":       {"The role must be viewer or admin.", "역할은 조회자 또는 관리자여야 합니다."},
	"password_invalid":   {"Passwords are 8 to 72 characters.", "비밀번호는 8~72자여야 합니다."},
	"user_name_taken":    {"That user name is taken.", "이미 사용 중인 사용자 이름입니다."},
	"last_admin":         {"The last admin cannot be removed.", "마지막 관리자는 삭제할 수 없습니다."},
	"audit":              {"Audit log", "감사 기록"},
	"when":               {"When", "시각"},
	"actor":              {"Who", "수행자"},
	"action":             {"Action", "작업"},
	"subject":            {"Subject", "대상"},
	"detail":             {"Detail", "내용"},
	"older":              {"Older entries", "이전 기록"},
	"quiet":              {"quiet", "응답 없음"},
	"no_entries":         {"Nothing yet.", "아직 없습니다."},
	// What a Service Manager target reports beyond its processes (target page).
	"services":       {"Services", "서비스"},
	"service":        {"Service", "서비스"},
	"deployment":     {"Deployment", "배포"},
	"paths":          {"Distribution and receiver paths", "복제 경로"},
	"path":           {"Path", "경로"},
	"distribution":   {"distribution", "배포"},
	"receiver":       {"receiver", "수신"},
	"source":         {"Source", "소스"},
	"destination":    {"Target", "대상"},
	"path_lag":       {"Lag", "지연"},
	"time_since_lag": {"Since lag reported", "지연 보고 후 경과"},
	"heartbeats":     {"Heartbeats (end to end)", "하트비트 (종단 간)"},
	"direction":      {"Direction", "방향"},
	"incoming":       {"incoming", "수신"},
	"outgoing":       {"outgoing", "송신"},
	"from_to":        {"From → to", "출발 → 도착"},
	"heartbeat_lag":  {"Heartbeat lag", "하트비트 지연"},
	"heartbeat_age":  {"Heartbeat age", "하트비트 경과"},
	"transactions":   {"Open transactions", "진행 중인 트랜잭션"},
	"started":        {"Started", "시작"},
	"age":            {"Age", "경과"},
	"items":          {"Items", "작업 수"},
}

// T translates a catalog key into lang; unknown keys come back as they are.
func T(lang, key string) string {
	v, ok := catalog[key]
	if !ok {
		return key
	}
	if lang == "ko" {
		return v[1]
	}
	return v[0]
}
