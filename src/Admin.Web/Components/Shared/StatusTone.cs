namespace Admin.Web.Components.Shared;

/// <summary>What a status means to the reader, independent of any kit's colour names.</summary>
public enum StatusTone
{
    Neutral,
    Primary,
    Info,
    Success,
    Warning,
    Danger,
}
