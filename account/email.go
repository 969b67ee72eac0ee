package account

import "strings"

// NormalizeEmail is how emails are stored and looked up.
func NormalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// ParseEmail normalises an email and refuses what cannot be one. Only the
// shape is checked: tally sends no mail.
func ParseEmail(e string) (string, error) {
	e = NormalizeEmail(e)
	at := strings.LastIndexByte(e, '@')
	if at < 1 || at == len(e)-1 || len(e) > 254 || strings.ContainsAny(e, " \t\r\n<>\"\\,;") || strings.ContainsRune(e, 0x7f) {
		return "", invalid("email", "enter an email address")
	}
	for _, r := range e {
		if r < 0x20 {
			return "", invalid("email", "enter an email address")
		}
	}
	return e, nil
}
