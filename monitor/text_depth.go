package monitor

import (
	"fmt"
	"strings"
)

// Alert texts of the deeper rules (rules_depth.go).

func longTxText(target, ext string, tx Transaction, age int64, sev string, fromLog bool) (string, Speech) {
	p := Process{Program: "EXTRACT", Group: ext}
	items := ""
	if tx.Items != nil {
		items = fmt.Sprintf(", %d items", *tx.Items)
	}
	msg := fmt.Sprintf("%s has held transaction %s open for %s (%s%s): archive logs from its start must be kept",
		processName(p), tx.XID, FormatSeconds(age), sev, items)
	if fromLog {
		msg = fmt.Sprintf("%s reports long running transaction %s (WARNLONGTRANS), open at least %s (%s%s): archive logs from its start must be kept",
			processName(p), tx.XID, FormatSeconds(age), sev, items)
	}
	return msg, Speech{
		Ko: fmt.Sprintf("%s %s 트랜잭션이 %s 동안 열려 있습니다", target, processKo(p), secondsKo(age)),
		En: fmt.Sprintf("%s %s transaction open for %s", target, processEn(p), secondsEn(age)),
	}
}

func recoveryText(target string, r Recovery, sev string) (string, Speech) {
	p := Process{Program: "EXTRACT", Group: r.Process}
	return fmt.Sprintf("%s recovery checkpoint is %s old (%s, at %s): a restart needs the redo and archive logs from there",
			processName(p), FormatSeconds(r.AgeSeconds), sev, r.CheckpointAt.Format("2006-01-02 15:04:05")), Speech{
			Ko: fmt.Sprintf("%s %s 복구 체크포인트가 %s 전입니다", target, processKo(p), secondsKo(r.AgeSeconds)),
			En: fmt.Sprintf("%s %s recovery checkpoint %s old", target, processEn(p), secondsEn(r.AgeSeconds)),
		}
}

func stalledText(target string, p Process, checks int, sev string) (string, Speech) {
	return fmt.Sprintf("%s is RUNNING but moved nothing for %d checks while its lag or checkpoint age grew (lag %s, checkpoint %s; %s)",
			processName(p), checks, optFormat(p.LagSeconds), optFormat(p.CheckpointAgeSeconds), sev), Speech{
			Ko: fmt.Sprintf("%s %s 이 실행 중이지만 멈춰 있습니다", target, processKo(p)),
			En: fmt.Sprintf("%s %s is running but stalled", target, processEn(p)),
		}
}

func discardsText(target string, p Process, added int64, total *int64, sev string) (string, Speech) {
	tot := ""
	if total != nil {
		tot = fmt.Sprintf(", %d in all", *total)
	}
	return fmt.Sprintf("%s discarded %d records since the last check (%s%s): see its discard file", processName(p), added, sev, tot), Speech{
		Ko: fmt.Sprintf("%s %s 이 레코드를 디스카드하고 있습니다", target, processKo(p)),
		En: fmt.Sprintf("%s %s is discarding records", target, processEn(p)),
	}
}

func heartbeatWhere(hb Heartbeat) string {
	s := hb.From + " → " + hb.To
	if hb.Path != "" {
		s += " (" + hb.Path + ")"
	}
	return strings.TrimSpace(strings.TrimSpace(hb.Deployment+" ") + " " + s)
}

func heartbeatLagText(target string, hb Heartbeat, sev string) (string, Speech) {
	lag := int64(hb.LagSeconds)
	return fmt.Sprintf("heartbeat %s lag %s (%s)", heartbeatWhere(hb), FormatSeconds(lag), sev), Speech{
		Ko: fmt.Sprintf("%s %s 에서 %s 로 하트비트 지연 %s", target, hb.From, hb.To, secondsKo(lag)),
		En: fmt.Sprintf("%s heartbeat lag from %s to %s %s", target, hb.From, hb.To, secondsEn(lag)),
	}
}

func heartbeatStaleText(target string, hb Heartbeat, sev string) (string, Speech) {
	age := int64(hb.AgeSeconds)
	return fmt.Sprintf("no heartbeat %s for %s (%s): data has stopped flowing on this path", heartbeatWhere(hb), FormatSeconds(age), sev), Speech{
		Ko: fmt.Sprintf("%s %s 에서 %s 로 하트비트가 %s 동안 없습니다", target, hb.From, hb.To, secondsKo(age)),
		En: fmt.Sprintf("%s no heartbeat from %s to %s for %s", target, hb.From, hb.To, secondsEn(age)),
	}
}

func optFormat(p *int64) string {
	if p == nil {
		return "unknown"
	}
	return FormatSeconds(*p)
}
