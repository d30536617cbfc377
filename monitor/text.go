package monitor

import (
	"fmt"
	"strings"
	"time"
)

// Alert texts: Message is what screens show; Speech holds short sentences
// for text-to-speech (browsers cut long ones), in Korean and English.

var programKo = map[string]string{
	"EXTRACT":   "추출 프로세스",
	"REPLICAT":  "복제 프로세스",
	"MANAGER":   "매니저",
	"JAGENT":    "모니터 에이전트",
	"PMSRVR":    "성능 모니터 서비스",
	"ADMINSRVR": "관리 서비스",
	"DISTSRVR":  "배포 서비스",
	"RECVSRVR":  "수신 서비스",
}

func processName(p Process) string {
	return strings.TrimSpace(p.Program + " " + p.Group)
}

func processEn(p Process) string {
	return strings.TrimSpace(strings.ToLower(p.Program) + " " + p.Group)
}

func processKo(p Process) string {
	name, ok := programKo[p.Program]
	if !ok {
		name = p.Program
	}
	return strings.TrimSpace(name + " " + p.Group)
}

func statusText(target string, p Process) (string, Speech) {
	msg := fmt.Sprintf("%s is %s", processName(p), p.Status)
	switch p.Status {
	case StatusAbended:
		return msg, Speech{
			Ko: fmt.Sprintf("%s %s 이 중단되었습니다", target, processKo(p)),
			En: fmt.Sprintf("%s %s abended", target, processEn(p)),
		}
	case StatusKilled:
		return msg, Speech{
			Ko: fmt.Sprintf("%s %s 이 강제 종료되었습니다", target, processKo(p)),
			En: fmt.Sprintf("%s %s was killed", target, processEn(p)),
		}
	default:
		return msg, Speech{
			Ko: fmt.Sprintf("%s %s 이 정지되었습니다", target, processKo(p)),
			En: fmt.Sprintf("%s %s stopped", target, processEn(p)),
		}
	}
}

func lagText(target string, p Process, sev string) (string, Speech) {
	lag := *p.LagSeconds
	return fmt.Sprintf("%s lag %s (%s)", processName(p), FormatSeconds(lag), sev), Speech{
		Ko: fmt.Sprintf("%s %s 지연 %s", target, processKo(p), secondsKo(lag)),
		En: fmt.Sprintf("%s %s lag %s", target, processEn(p), secondsEn(lag)),
	}
}

func checkpointText(target string, p Process, sev string) (string, Speech) {
	age := *p.CheckpointAgeSeconds
	return fmt.Sprintf("%s checkpoint not updated for %s (%s)", processName(p), FormatSeconds(age), sev), Speech{
		Ko: fmt.Sprintf("%s %s 체크포인트가 %s 동안 갱신되지 않았습니다", target, processKo(p), secondsKo(age)),
		En: fmt.Sprintf("%s %s checkpoint %s old", target, processEn(p), secondsEn(age)),
	}
}

func targetText(target, rule string, err error) (string, Speech) {
	switch rule {
	case RuleCredentials:
		return fmt.Sprintf("%s refused SyncMon's credentials (%s)", target, ErrorClass(err)), Speech{
			Ko: fmt.Sprintf("%s 인증이 거부되었습니다", target),
			En: fmt.Sprintf("%s refused credentials", target),
		}
	case RuleParserBlind:
		return fmt.Sprintf("%s: monitor cannot read OGG output (%s)", target, ErrorClass(err)), Speech{
			Ko: fmt.Sprintf("%s 출력을 읽을 수 없습니다", target),
			En: fmt.Sprintf("%s output unreadable", target),
		}
	default:
		return fmt.Sprintf("%s is unreachable (%s)", target, ErrorClass(err)), Speech{
			Ko: fmt.Sprintf("%s 에 연결할 수 없습니다", target),
			En: fmt.Sprintf("%s unreachable", target),
		}
	}
}

// TestAlertText returns the message and speech of an admin's test alert.
func TestAlertText(message string) (string, Speech) {
	if message == "" {
		return "SyncMon test alert", Speech{Ko: "SyncMon 시험 경보입니다", En: "SyncMon test alert"}
	}
	return message, Speech{Ko: message, En: message}
}

// FormatSeconds renders a duration in seconds as h:mm:ss, as OGG does.
func FormatSeconds(s int64) string {
	if s < 0 {
		s = 0
	}
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

func secondsEn(s int64) string {
	switch {
	case s >= 3600:
		return fmt.Sprintf("%d hours %d minutes", s/3600, s/60%60)
	case s >= 120:
		return fmt.Sprintf("%d minutes", s/60)
	default:
		return fmt.Sprintf("%d seconds", s)
	}
}

func secondsKo(s int64) string {
	switch {
	case s >= 3600:
		return fmt.Sprintf("%d시간 %d분", s/3600, s/60%60)
	case s >= 120:
		return fmt.Sprintf("%d분", s/60)
	default:
		return fmt.Sprintf("%d초", s)
	}
}

func goneText(target string, p Process) (string, Speech) {
	return fmt.Sprintf("%s is no longer reported", processName(p)), Speech{
		Ko: fmt.Sprintf("%s %s 이 목록에서 사라졌습니다", target, processKo(p)),
		En: fmt.Sprintf("%s %s disappeared", target, processEn(p)),
	}
}

func newGroupText(target string, p Process) (string, Speech) {
	return fmt.Sprintf("new group %s appeared", processName(p)), Speech{
		Ko: fmt.Sprintf("%s 새 %s 이 나타났습니다", target, processKo(p)),
		En: fmt.Sprintf("%s new %s appeared", target, processEn(p)),
	}
}

func flappingText(target string, p Process, n int) (string, Speech) {
	return fmt.Sprintf("%s abended %d times within the flap window (AUTORESTART may be masking a fault)", processName(p), n), Speech{
		Ko: fmt.Sprintf("%s %s 이 반복해서 중단되고 있습니다", target, processKo(p)),
		En: fmt.Sprintf("%s %s keeps abending", target, processEn(p)),
	}
}

func startingText(target string, p Process, since time.Duration) (string, Speech) {
	s := int64(since / time.Second)
	return fmt.Sprintf("%s stuck in STARTING for %s", processName(p), FormatSeconds(s)), Speech{
		Ko: fmt.Sprintf("%s %s 이 %s 동안 시작 중입니다", target, processKo(p), secondsKo(s)),
		En: fmt.Sprintf("%s %s stuck starting", target, processEn(p)),
	}
}

func growingText(target string, p Process, k int) (string, Speech) {
	return fmt.Sprintf("%s lag rising over the last %d checks (now %s)", processName(p), k, FormatSeconds(*p.LagSeconds)), Speech{
		Ko: fmt.Sprintf("%s %s 지연이 계속 늘고 있습니다", target, processKo(p)),
		En: fmt.Sprintf("%s %s lag is growing", target, processEn(p)),
	}
}

// maxLogMessage bounds the text an OGG log line contributes to an alert.
const maxLogMessage = 300

func errLogText(target string, e LogEntry) (string, Speech) {
	msg := e.Message
	if first, _, ok := strings.Cut(msg, "\n"); ok {
		msg = first
	}
	if r := []rune(msg); len(r) > maxLogMessage {
		msg = string(r[:maxLogMessage]) + "…"
	}
	code := e.Code
	if code == "" {
		code = "OGG"
	}
	who := strings.TrimSpace(e.Group)
	ko := fmt.Sprintf("%s 오류 %s", target, spokenCode(code))
	en := fmt.Sprintf("%s error %s", target, spokenCode(code))
	if who != "" {
		ko = fmt.Sprintf("%s %s 오류 %s", target, who, spokenCode(code))
		en = fmt.Sprintf("%s %s error %s", target, who, spokenCode(code))
	}
	if m := e.Meaning; m != nil {
		// Say what happened, not only its number.
		ko = strings.TrimSpace(fmt.Sprintf("%s %s %s, %s", target, who, m.Ko, spokenCode(code)))
		en = strings.TrimSpace(fmt.Sprintf("%s %s %s, %s", target, who, m.En, spokenCode(code)))
		ko, en = strings.ReplaceAll(ko, "  ", " "), strings.ReplaceAll(en, "  ", " ")
		return code + ": " + m.En + ": " + msg, Speech{Ko: ko, En: en}
	}
	return code + ": " + msg, Speech{Ko: ko, En: en}
}

// spokenCode reads "OGG-01668" as "OGG 01668", which speech engines say well.
func spokenCode(code string) string { return strings.ReplaceAll(code, "-", " ") }
