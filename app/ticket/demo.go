package ticket

import (
	"time"

	"github.com/google/uuid"
)

// DemoOrder is DESIGN.md's sample order: a made-up Kazakh subscriber for
// demos and tests (the IIN is not a real person's).
func DemoOrder() Order {
	return Order{
		ID:   "ORD-2026-000123",
		Lang: "kk",
		Subscriber: Subscriber{
			IIN:        "900101300123",
			Surname:    "Сәрсенбаев",
			Given:      "Нұрлан",
			Patronymic: "Қайратұлы",
			Phone:      "+77011234567",
		},
		Tariff: Tariff{Code: "HOME-500", Name: "Үй 500", MonthlyFee: "9990.00", Currency: "KZT"},
		Services: []Service{
			{Code: "INET", Name: "Интернет 500 Мбит/с"},
			{Code: "IPTV", Name: "IPTV"},
		},
		Address:   "Алматы қ., Абай даңғылы, 150, 12-пәтер",
		Equipment: []Equipment{{Model: "ONT HG8245", Serial: "48575443A1B2C3D4"}},
	}
}

// NewPayload wraps order in a fresh ticket (new random id) issued at now
// for ttl, for office and staff. Times are whole seconds, as in the JSON.
func NewPayload(order Order, office, staff string, now time.Time, ttl time.Duration) Payload {
	iat := now.Unix()
	return Payload{
		V:      Version,
		TID:    uuid.NewString(),
		Office: office,
		Staff:  staff,
		IAT:    iat,
		EXP:    iat + int64(ttl/time.Second),
		Order:  order,
	}
}
