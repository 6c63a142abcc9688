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
)

// Reasons the simulator gives with a biometric retry or fail.
const (
	ReasonNoMatch = "no_match"
)
