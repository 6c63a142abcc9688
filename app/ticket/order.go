// Package ticket holds the staff session ticket: its payload (the order), the
// AKT1 text form (base45 of zlib(Ed25519 signature ‖ JSON)), and its checks.
package ticket

// Payload is the signed JSON inside a ticket (DESIGN.md, "Session ticket").
type Payload struct {
	V      int    `json:"v"`
	TID    string `json:"tid"`
	Office string `json:"office"`
	Staff  string `json:"staff"`
	IAT    int64  `json:"iat"`
	EXP    int64  `json:"exp"`
	Order  Order  `json:"order"`
}

// Order is what the office system sold: who, what, where.
type Order struct {
	ID         string      `json:"id"`
	Lang       string      `json:"lang"`
	Subscriber Subscriber  `json:"subscriber"`
	Tariff     Tariff      `json:"tariff"`
	Services   []Service   `json:"services"`
	Address    string      `json:"address"`
	Equipment  []Equipment `json:"equipment"`
}

// Subscriber is personal data: never log any field of it.
type Subscriber struct {
	IIN        string `json:"iin"`
	Surname    string `json:"surname"`
	Given      string `json:"given"`
	Patronymic string `json:"patronymic"`
	Phone      string `json:"phone"`
}

// Tariff is the plan with its monthly fee as a decimal string (no float money).
type Tariff struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	MonthlyFee string `json:"monthly_fee"`
	Currency   string `json:"currency"`
}

// Service is one connected service.
type Service struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Equipment is one installed device.
type Equipment struct {
	Model  string `json:"model"`
	Serial string `json:"serial"`
}
