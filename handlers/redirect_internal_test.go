package handlers

import "testing"

func TestSafeNextKeepsRedirectsOnSite(t *testing.T) {
	for in, want := range map[string]string{
		"/alerts/3":             "/alerts/3",
		"/alerts?state=open":    "/alerts?state=open",
		"":                      "/",
		"alerts":                "/",
		"//evil.example":        "/",
		"/\\evil.example":       "/",
		"/\t/evil.example":      "/",
		"/\n/evil.example":      "/",
		"/\r\n/evil.example":    "/",
		"https://evil.example/": "/",
		"javascript:alert(1)":   "/",
		"/%2F%2Fevil.example":   "/%2F%2Fevil.example", // stays a path on this site
		"/ok/\\..\\evil":        "/",
		"\x00/x":                "/",
		"/kiosk?lang=ko&mute=1": "/kiosk?lang=ko&mute=1",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
