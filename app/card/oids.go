package card

import (
	"crypto/x509"
	"fmt"
	"strings"
)

// oidNames names the object identifiers a signature page shows, per
// language. The national CA's identifiers under 1.2.398.3.3.4 appear both
// as certificate policies (the template) and as extended key usages, so
// one table serves both.
var oidNames = map[string]map[string]string{
	"1.2.398.3.3.4.1.1":      {"ru": "Физическое лицо", "kk": "Жеке тұлға", "en": "Individual"},
	"1.2.398.3.3.4.1.2":      {"ru": "Юридическое лицо", "kk": "Заңды тұлға", "en": "Legal entity"},
	"1.2.398.3.3.4.1.2.1":    {"ru": "Первый руководитель юридического лица", "kk": "Заңды тұлғаның бірінші басшысы", "en": "Legal entity's first head"},
	"1.2.398.3.3.4.3.2":      {"ru": "Удалённая идентификация", "kk": "Қашықтан сәйкестендіру", "en": "Remote identification"},
	"1.2.398.3.3.4.3.2.1":    {"ru": "Удалённая идентификация по цифровому документу", "kk": "Цифрлық құжат бойынша қашықтан сәйкестендіру", "en": "Remote identification by digital ID"},
	"2.5.29.37.0":            {"ru": "Любое назначение", "kk": "Кез келген мақсат", "en": "Any purpose"},
	"1.3.6.1.5.5.7.3.1":      {"ru": "Проверка подлинности сервера", "kk": "Серверді аутентификациялау", "en": "Server authentication"},
	"1.3.6.1.5.5.7.3.2":      {"ru": "Проверка подлинности клиента", "kk": "Клиентті аутентификациялау", "en": "Client authentication"},
	"1.3.6.1.5.5.7.3.3":      {"ru": "Подпись программного кода", "kk": "Бағдарлама кодына қол қою", "en": "Code signing"},
	"1.3.6.1.5.5.7.3.4":      {"ru": "Защищённая электронная почта", "kk": "Қорғалған электрондық пошта", "en": "Email protection"},
	"1.3.6.1.5.5.7.3.8":      {"ru": "Метки времени", "kk": "Уақыт белгілері", "en": "Time stamping"},
	"1.3.6.1.5.5.7.3.9":      {"ru": "Подпись ответов OCSP", "kk": "OCSP жауаптарына қол қою", "en": "OCSP signing"},
	"1.3.6.1.5.5.7.3.5":      {"ru": "IPsec: оконечная система", "kk": "IPsec: соңғы жүйе", "en": "IPsec end system"},
	"1.3.6.1.5.5.7.3.6":      {"ru": "IPsec: туннель", "kk": "IPsec: туннель", "en": "IPsec tunnel"},
	"1.3.6.1.5.5.7.3.7":      {"ru": "IPsec: пользователь", "kk": "IPsec: пайдаланушы", "en": "IPsec user"},
	"1.3.6.1.4.1.311.10.3.3": {"ru": "Microsoft Server Gated Crypto", "kk": "Microsoft Server Gated Crypto", "en": "Microsoft Server Gated Crypto"},
	"2.16.840.1.113730.4.1":  {"ru": "Netscape Server Gated Crypto", "kk": "Netscape Server Gated Crypto", "en": "Netscape Server Gated Crypto"},
	"1.3.6.1.4.1.311.2.1.22": {"ru": "Microsoft: подпись кода", "kk": "Microsoft: кодқа қол қою", "en": "Microsoft commercial code signing"},
	"1.3.6.1.4.1.311.61.1.1": {"ru": "Microsoft: подпись кода ядра", "kk": "Microsoft: ядро кодына қол қою", "en": "Microsoft kernel code signing"},
}

// extKeyUsageOIDs are the identifiers crypto/x509 parses into its enum.
var extKeyUsageOIDs = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny:                            "2.5.29.37.0",
	x509.ExtKeyUsageServerAuth:                     "1.3.6.1.5.5.7.3.1",
	x509.ExtKeyUsageClientAuth:                     "1.3.6.1.5.5.7.3.2",
	x509.ExtKeyUsageCodeSigning:                    "1.3.6.1.5.5.7.3.3",
	x509.ExtKeyUsageEmailProtection:                "1.3.6.1.5.5.7.3.4",
	x509.ExtKeyUsageIPSECEndSystem:                 "1.3.6.1.5.5.7.3.5",
	x509.ExtKeyUsageIPSECTunnel:                    "1.3.6.1.5.5.7.3.6",
	x509.ExtKeyUsageIPSECUser:                      "1.3.6.1.5.5.7.3.7",
	x509.ExtKeyUsageTimeStamping:                   "1.3.6.1.5.5.7.3.8",
	x509.ExtKeyUsageOCSPSigning:                    "1.3.6.1.5.5.7.3.9",
	x509.ExtKeyUsageMicrosoftServerGatedCrypto:     "1.3.6.1.4.1.311.10.3.3",
	x509.ExtKeyUsageNetscapeServerGatedCrypto:      "2.16.840.1.113730.4.1",
	x509.ExtKeyUsageMicrosoftCommercialCodeSigning: "1.3.6.1.4.1.311.2.1.22",
	x509.ExtKeyUsageMicrosoftKernelCodeSigning:     "1.3.6.1.4.1.311.61.1.1",
}

// keyUsages are the keyUsage bits in order, with the RFC 5280 name and
// the words per language.
var keyUsages = []struct {
	bit  x509.KeyUsage
	name string
	text map[string]string
}{
	{x509.KeyUsageDigitalSignature, "digitalSignature", map[string]string{"ru": "Цифровая подпись", "kk": "Цифрлық қолтаңба", "en": "Digital signature"}},
	{x509.KeyUsageContentCommitment, "nonRepudiation", map[string]string{"ru": "Неотказуемость", "kk": "Бас тартпау", "en": "Non-repudiation"}},
	{x509.KeyUsageKeyEncipherment, "keyEncipherment", map[string]string{"ru": "Шифрование ключей", "kk": "Кілттерді шифрлау", "en": "Key encipherment"}},
	{x509.KeyUsageDataEncipherment, "dataEncipherment", map[string]string{"ru": "Шифрование данных", "kk": "Деректерді шифрлау", "en": "Data encipherment"}},
	{x509.KeyUsageKeyAgreement, "keyAgreement", map[string]string{"ru": "Согласование ключей", "kk": "Кілттерді келісу", "en": "Key agreement"}},
	{x509.KeyUsageCertSign, "keyCertSign", map[string]string{"ru": "Подпись сертификатов", "kk": "Сертификаттарға қол қою", "en": "Certificate signing"}},
	{x509.KeyUsageCRLSign, "cRLSign", map[string]string{"ru": "Подпись списков отзыва", "kk": "Кері қайтарылғандар тізіміне қол қою", "en": "CRL signing"}},
	{x509.KeyUsageEncipherOnly, "encipherOnly", map[string]string{"ru": "Только шифрование", "kk": "Тек шифрлау", "en": "Encipher only"}},
	{x509.KeyUsageDecipherOnly, "decipherOnly", map[string]string{"ru": "Только расшифрование", "kk": "Тек шифрды ашу", "en": "Decipher only"}},
}

// oidText writes an identifier as "name (OID)", or the bare OID when the
// table does not know it.
func oidText(lang, oid string) string {
	if n, ok := oidNames[oid]; ok {
		return fmt.Sprintf("%s (%s)", n[lang], oid)
	}
	return oid
}

// templates lists the certificate's policies, which name the template it
// was issued on.
func templates(lang string, c *x509.Certificate) string {
	var oids []string
	for _, p := range c.Policies {
		oids = append(oids, p.String())
	}
	if len(oids) == 0 { // certificates built in memory may carry only the old field
		for _, p := range c.PolicyIdentifiers {
			oids = append(oids, p.String())
		}
	}
	return oidList(lang, oids)
}

// extKeyUsages lists the extended key usages crypto/x509 knows and the
// ones it does not (the national CA's among them), in that order.
func extKeyUsages(lang string, c *x509.Certificate) string {
	var oids []string
	for _, u := range c.ExtKeyUsage {
		if oid, ok := extKeyUsageOIDs[u]; ok {
			oids = append(oids, oid)
		}
	}
	for _, u := range c.UnknownExtKeyUsage {
		oids = append(oids, u.String())
	}
	return oidList(lang, oids)
}

func oidList(lang string, oids []string) string {
	if len(oids) == 0 {
		return label(lang, "not_given")
	}
	lines := make([]string, len(oids))
	for i, o := range oids {
		lines[i] = oidText(lang, o)
	}
	return strings.Join(lines, "\n")
}

// keyUsageText lists the keyUsage bits set as "words (rfcName)".
func keyUsageText(lang string, u x509.KeyUsage) string {
	var lines []string
	for _, k := range keyUsages {
		if u&k.bit != 0 {
			lines = append(lines, fmt.Sprintf("%s (%s)", k.text[lang], k.name))
		}
	}
	if len(lines) == 0 {
		return label(lang, "not_given")
	}
	return strings.Join(lines, "\n")
}
