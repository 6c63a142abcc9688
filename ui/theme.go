package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"almatel.kz/signkiosk/assets"
)

// kioskTheme is the kiosk's look: Noto Sans from assets (Fyne's bundled
// font draws Kazakh і without its dot), text sized for reading at arm's
// length, big touch targets and a calm light palette with strong contrast.
// It ignores the OS dark-mode preference: a kiosk looks the same all day.
type kioskTheme struct {
	regular, bold fyne.Resource
	base          fyne.Theme
}

// NewTheme returns the kiosk theme. New applies it to the running app.
func NewTheme() fyne.Theme {
	return &kioskTheme{
		regular: fyne.NewStaticResource("NotoSans-Regular.ttf", assets.FontRegular()),
		bold:    fyne.NewStaticResource("NotoSans-Bold.ttf", assets.FontBold()),
		base:    theme.DefaultTheme(), // always asked for VariantLight below
	}
}

// Palette: dark ink on an off-white page, one blue for actions.
var (
	colInk       = color.NRGBA{0x14, 0x1B, 0x26, 0xFF}
	colPage      = color.NRGBA{0xF6, 0xF7, 0xF9, 0xFF}
	colCard      = color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
	colPrimary   = color.NRGBA{0x0A, 0x58, 0xA8, 0xFF}
	colButton    = color.NRGBA{0xE3, 0xE8, 0xEF, 0xFF}
	colDisabled  = color.NRGBA{0x8A, 0x93, 0xA0, 0xFF}
	colDisButton = color.NRGBA{0xEE, 0xF0, 0xF3, 0xFF}
	colError     = color.NRGBA{0xB0, 0x23, 0x1B, 0xFF}
	colSuccess   = color.NRGBA{0x1B, 0x7A, 0x3A, 0xFF}
	colWarning   = color.NRGBA{0xA8, 0x5A, 0x00, 0xFF}
	colBorder    = color.NRGBA{0x9A, 0xA4, 0xB2, 0xFF}
)

func (t *kioskTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	switch n {
	case theme.ColorNameForeground:
		return colInk
	case theme.ColorNameBackground:
		return colPage
	case theme.ColorNameInputBackground, theme.ColorNameMenuBackground, theme.ColorNameOverlayBackground, theme.ColorNameHeaderBackground:
		return colCard
	case theme.ColorNamePrimary, theme.ColorNameHyperlink, theme.ColorNameFocus:
		return colPrimary
	case theme.ColorNameButton:
		return colButton
	case theme.ColorNameDisabled, theme.ColorNamePlaceHolder:
		return colDisabled
	case theme.ColorNameDisabledButton:
		return colDisButton
	case theme.ColorNameError:
		return colError
	case theme.ColorNameSuccess:
		return colSuccess
	case theme.ColorNameWarning:
		return colWarning
	case theme.ColorNameInputBorder, theme.ColorNameSeparator:
		return colBorder
	case theme.ColorNameForegroundOnPrimary, theme.ColorNameForegroundOnError,
		theme.ColorNameForegroundOnSuccess, theme.ColorNameForegroundOnWarning:
		return color.White
	}
	return t.base.Color(n, theme.VariantLight)
}

func (t *kioskTheme) Font(s fyne.TextStyle) fyne.Resource {
	switch {
	case s.Monospace, s.Symbol:
		return t.base.Font(s)
	case s.Bold:
		return t.bold
	}
	return t.regular // no italic face is shipped; upright reads fine
}

func (t *kioskTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.base.Icon(n) }

// Sizes for a touch screen read from 50–70 cm: body 22 px, titles 36 px.
func (t *kioskTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return 22
	case theme.SizeNameHeadingText:
		return 36
	case theme.SizeNameSubHeadingText:
		return 28
	case theme.SizeNameCaptionText:
		return 18
	case sizeNameMove:
		return 48
	case theme.SizeNamePadding:
		return 8
	case theme.SizeNameInnerPadding:
		return 14
	case theme.SizeNameInlineIcon:
		// A button is max(text line, inline icon) + 2×inner padding tall:
		// 36 + 2×14 = 64 px, the primary-action minimum, for every button,
		// sized or not (the text line is ≈ 30 px).
		return 36
	case theme.SizeNameScrollBar:
		return 18
	case theme.SizeNameScrollBarSmall:
		return 6
	case theme.SizeNameInputBorder:
		return 2
	case theme.SizeNameSeparatorThickness:
		return 2
	}
	return t.base.Size(n)
}

// textScales are the text sizes a subscriber can pick (the header's "Aa"):
// normal, then two steps larger.
var textScales = [...]float32{1, 1.2, 1.4}

// scaledTheme is a theme with its text sizes scaled by f, for the screen
// content of a subscriber who asked for larger text.
type scaledTheme struct {
	fyne.Theme
	f float32
}

func (t scaledTheme) Size(n fyne.ThemeSizeName) float32 {
	v := t.Theme.Size(n)
	switch n {
	case theme.SizeNameText, theme.SizeNameHeadingText, theme.SizeNameSubHeadingText, theme.SizeNameCaptionText:
		return v * t.f
	}
	return v
}
