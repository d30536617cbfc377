package config

// EnvPlaceholder is what LenientEnv answers for a variable that is not set:
// a value every *_env key accepts (an https URL, longer than any minimum
// token length), so that a command that does not use the secrets can still
// load the file.
const EnvPlaceholder = "https://unset.invalid/placeholder-for-a-variable-not-set-here"

// LenientEnv wraps getenv for commands that read the config without using
// its secrets (`config check`, `user …`): a variable getenv does not set
// reads as EnvPlaceholder, and its name is passed to unset (when not nil).
// serve never uses it: there an unset secret is an error.
func LenientEnv(getenv func(string) string, unset func(name string)) func(string) string {
	return func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		if unset != nil {
			unset(name)
		}
		return EnvPlaceholder
	}
}
