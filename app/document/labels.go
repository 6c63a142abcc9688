package document

// labels are the document's fixed words per language. The review screen and
// the signed document read them from here, so both say the same thing.
var labels = map[string]map[string]string{
	"kk": {
		"title":      "Жария шартқа қосылу туралы өтініш",
		"number":     "Өтініш №",
		"date":       "Күні",
		"company":    "«AlmaTel» АҚ, БСН 990340001234, Алматы қ., Абай даңғылы, 52",
		"personal":   "Абоненттің жеке деректері",
		"surname":    "Тегі",
		"given":      "Аты",
		"patronymic": "Әкесінің аты",
		"iin":        "ЖСН",
		"birth_date": "Туған күні",
		"doc_number": "Жеке куәлік нөмірі",
		"phone":      "Телефон",
		"services":   "Қызметтер және тарифтік жоспар",
		"tariff":     "Тарифтік жоспар",
		"fee":        "Ай сайынғы төлем",
		"service":    "Қызмет",
		"address":    "Қызмет көрсету мекенжайы",
		"equipment":  "Орнатылған жабдық",
		"model":      "Үлгісі",
		"serial":     "Сериялық нөмірі",
		"none":       "жоқ",
		"accession":  "Қосылу туралы мәлімдеме",
		"signed":     "Электрондық цифрлық қолтаңбамен қол қойылды",
		"signed_at":  "Қол қойылған уақыты",
		"cert":       "Тіркеу куәлігі",
	},
	"ru": {
		"title":      "Заявление о присоединении к публичному договору",
		"number":     "Заявление №",
		"date":       "Дата",
		"company":    "АО «AlmaTel», БИН 990340001234, г. Алматы, пр. Абая, 52",
		"personal":   "Персональные данные абонента",
		"surname":    "Фамилия",
		"given":      "Имя",
		"patronymic": "Отчество",
		"iin":        "ИИН",
		"birth_date": "Дата рождения",
		"doc_number": "Номер удостоверения личности",
		"phone":      "Телефон",
		"services":   "Услуги и тарифный план",
		"tariff":     "Тарифный план",
		"fee":        "Ежемесячная плата",
		"service":    "Услуга",
		"address":    "Адрес предоставления услуг",
		"equipment":  "Установленное оборудование",
		"model":      "Модель",
		"serial":     "Серийный номер",
		"none":       "нет",
		"accession":  "Заявление о присоединении",
		"signed":     "Подписано электронной цифровой подписью",
		"signed_at":  "Время подписания",
		"cert":       "Регистрационное свидетельство",
	},
	"en": {
		"title":      "Application for joining the public contract",
		"number":     "Application No.",
		"date":       "Date",
		"company":    "AlmaTel JSC, BIN 990340001234, 52 Abai Avenue, Almaty",
		"personal":   "Subscriber's personal data",
		"surname":    "Surname",
		"given":      "Given name",
		"patronymic": "Patronymic",
		"iin":        "IIN",
		"birth_date": "Date of birth",
		"doc_number": "ID card number",
		"phone":      "Phone",
		"services":   "Services and tariff plan",
		"tariff":     "Tariff plan",
		"fee":        "Monthly fee",
		"service":    "Service",
		"address":    "Service address",
		"equipment":  "Installed equipment",
		"model":      "Model",
		"serial":     "Serial number",
		"none":       "none",
		"accession":  "Statement of accession",
		"signed":     "Signed with an electronic digital signature",
		"signed_at":  "Signing time",
		"cert":       "Registration certificate",
	},
}

// Label returns the document's word for key in lang (English when unknown).
func Label(lang, key string) string {
	if l, ok := labels[lang]; ok {
		if v, ok := l[key]; ok {
			return v
		}
	}
	return labels["en"][key]
}
