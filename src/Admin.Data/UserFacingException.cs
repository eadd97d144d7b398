namespace Admin.Data;

/// <summary>
/// A refusal or invalid input whose message is written for the person using the console (never a stack trace);
/// <see cref="Field"/> names the form field when there is one. Pages catch this one type.
/// </summary>
public abstract class UserFacingException(string message, string? field = null, Exception? inner = null) : Exception(message, inner)
{
    public string? Field { get; } = field;
}
