namespace Admin.Web.Features.Releases;

/// <summary>One choice of a drop-down (a typed record: Radzen reads Value/Text by name, also from an empty list).</summary>
public sealed record PickerOption<T>(T Value, string Text);
