package sim

// Trigger values make the simulator fail on purpose, so every error path of
// the kiosk can be shown and tested (see TRIGGERS.md).
const (
	// TriggerWrongCode is an eGov code that is always wrong; the simulator
	// never sends it.
	TriggerWrongCode = "000000"
	// TriggerIINNoMatch is an IIN whose face never matches its document:
	// biometrics answers retry/no_match until the attempts run out, then fail.
	TriggerIINNoMatch = "880101300999"
	// TriggerIINSlow is an IIN whose every call after create waits
	// Config.SlowDelay before answering, to exercise the kiosk's timeouts.
	TriggerIINSlow = "880101300888"
	// TriggerIINUnavailable is an IIN for which the egov-code call answers
	// 503 unavailable: a provider (or eGov) outage.
	TriggerIINUnavailable = "880101300777"
	// TriggerIINRevoked is an IIN whose certificate the national CA revokes
	// right after issuing it (keyCompromise): OCSP answers revoked, the
	// delta CRL lists it (the base CRL too once a new one is published).
	TriggerIINRevoked = "880101300666"
	// TriggerIINTSADown is an IIN whose signatures the TSA refuses: its
	// time-stamp requests over their signature values get HTTP 503.
	TriggerIINTSADown = "880101300555"
	// TriggerIINOCSPDown is an IIN whose certificate the OCSP responder
	// refuses: requests naming it get HTTP 503.
	TriggerIINOCSPDown = "880101300444"
)

// Reasons the simulator gives with a biometric retry or fail.
const (
	ReasonNoMatch = "no_match"
)
