using MudBlazor;

namespace Admin.Web.Components.Layout;

/// <summary>The console's colours and type on MudBlazor: indigo primary, quiet surfaces, system fonts (no web fonts to fetch).</summary>
public static class AdminTheme
{
    private static readonly string[] Fonts = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"];

    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#4340d2",
            PrimaryContrastText = "#ffffff",
            Secondary = "#00838f",
            Tertiary = "#6a1b9a",
            Info = "#1565c0",
            Success = "#2e7d32",
            // Dark enough for white text and for text on a light tint (WCAG AA, 4.5:1).
            Warning = "#8a5300",
            Error = "#c62828",
            AppbarBackground = "#4340d2",
            AppbarText = "#ffffff",
            Background = "#f6f7fb",
            Surface = "#ffffff",
            DrawerBackground = "#ffffff",
            DrawerText = "#37374a",
            TextPrimary = "#1f1f2e",
            TextSecondary = "#5b5b70",
            LinesDefault = "#e0e0ea",
            TableLines = "#e6e6ef",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#9d9bff",
            PrimaryContrastText = "#12122a",
            // The dark palette's colours are light, so text on them is dark (WCAG AA against each).
            Secondary = "#4dd0e1",
            SecondaryContrastText = "#0b1f24",
            InfoContrastText = "#0b1a2b",
            SuccessContrastText = "#0f2410",
            WarningContrastText = "#2b1a00",
            ErrorContrastText = "#2b0b0b",
            TertiaryContrastText = "#24102a",
            Tertiary = "#ce93d8",
            Info = "#64b5f6",
            Success = "#81c784",
            Warning = "#ffb74d",
            Error = "#ef9a9a",
            AppbarBackground = "#1c1c2b",
            AppbarText = "#e8e8f4",
            Background = "#121219",
            Surface = "#1c1c26",
            DrawerBackground = "#181822",
            DrawerText = "#d6d6e4",
            TextPrimary = "#ececf4",
            TextSecondary = "#a9a9bd",
            LinesDefault = "#34344a",
            TableLines = "#2c2c3e",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = Fonts },
            H1 = new H1Typography { FontFamily = Fonts, FontSize = "1.75rem", FontWeight = "600", LineHeight = "1.3" },
            H2 = new H2Typography { FontFamily = Fonts, FontSize = "1.35rem", FontWeight = "600", LineHeight = "1.35" },
            H3 = new H3Typography { FontFamily = Fonts, FontSize = "1.15rem", FontWeight = "600", LineHeight = "1.4" },
            H4 = new H4Typography { FontFamily = Fonts, FontSize = "1.75rem", FontWeight = "600", LineHeight = "1.3" },
            H5 = new H5Typography { FontFamily = Fonts, FontSize = "1.35rem", FontWeight = "600", LineHeight = "1.35" },
            H6 = new H6Typography { FontFamily = Fonts, FontSize = "1.1rem", FontWeight = "600", LineHeight = "1.4" },
            Subtitle1 = new Subtitle1Typography { FontFamily = Fonts },
            Subtitle2 = new Subtitle2Typography { FontFamily = Fonts },
            Body1 = new Body1Typography { FontFamily = Fonts },
            Body2 = new Body2Typography { FontFamily = Fonts },
            Button = new ButtonTypography { FontFamily = Fonts, TextTransform = "none" },
            Caption = new CaptionTypography { FontFamily = Fonts },
            Overline = new OverlineTypography { FontFamily = Fonts },
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "6px", DrawerWidthLeft = "232px" },
    };
}
