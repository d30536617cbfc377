package handlers

import "maps"

// authCatalog holds the account pages' strings, kept beside them and merged
// into the one catalog at start.
var authCatalog = map[string][2]string{ // key: {en, ko}
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
}

func init() { maps.Copy(catalog, authCatalog) }
