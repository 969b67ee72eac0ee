package locale

// languages maps ISO 639-1 codes (the primary subtag the collector keeps)
// to English names. It covers the languages browsers commonly report; an
// unlisted code is shown as it is.
var languages = map[string]string{
	"af": "Afrikaans", "am": "Amharic", "ar": "Arabic", "as": "Assamese", "az": "Azerbaijani",
	"be": "Belarusian", "bg": "Bulgarian", "bn": "Bengali", "bs": "Bosnian",
	"ca": "Catalan", "cs": "Czech", "cy": "Welsh",
	"da": "Danish", "de": "German",
	"el": "Greek", "en": "English", "eo": "Esperanto", "es": "Spanish", "et": "Estonian", "eu": "Basque",
	"fa": "Persian", "fi": "Finnish", "fil": "Filipino", "fo": "Faroese", "fr": "French", "fy": "Western Frisian",
	"ga": "Irish", "gd": "Scottish Gaelic", "gl": "Galician", "gu": "Gujarati",
	"ha": "Hausa", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "hy": "Armenian",
	"id": "Indonesian", "ig": "Igbo", "is": "Icelandic", "it": "Italian",
	"ja": "Japanese", "jv": "Javanese",
	"ka": "Georgian", "kk": "Kazakh", "km": "Khmer", "kn": "Kannada", "ko": "Korean", "ku": "Kurdish",
	"ky": "Kyrgyz",
	"la": "Latin", "lb": "Luxembourgish", "lo": "Lao", "lt": "Lithuanian", "lv": "Latvian",
	"mg": "Malagasy", "mi": "Māori", "mk": "Macedonian", "ml": "Malayalam", "mn": "Mongolian",
	"mr": "Marathi", "ms": "Malay", "mt": "Maltese", "my": "Burmese",
	"nb": "Norwegian Bokmål", "ne": "Nepali", "nl": "Dutch", "nn": "Norwegian Nynorsk", "no": "Norwegian",
	"or": "Odia",
	"pa": "Punjabi", "pl": "Polish", "ps": "Pashto", "pt": "Portuguese",
	"qu": "Quechua",
	"rm": "Romansh", "ro": "Romanian", "ru": "Russian", "rw": "Kinyarwanda",
	"sa": "Sanskrit", "sd": "Sindhi", "si": "Sinhala", "sk": "Slovak", "sl": "Slovenian", "so": "Somali",
	"sq": "Albanian", "sr": "Serbian", "sv": "Swedish", "sw": "Swahili",
	"ta": "Tamil", "te": "Telugu", "tg": "Tajik", "th": "Thai", "ti": "Tigrinya", "tk": "Turkmen",
	"tl": "Tagalog", "tr": "Turkish", "tt": "Tatar",
	"ug": "Uyghur", "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek",
	"vi": "Vietnamese",
	"wo": "Wolof",
	"xh": "Xhosa",
	"yi": "Yiddish", "yo": "Yoruba",
	"zh": "Chinese", "zu": "Zulu",
}
