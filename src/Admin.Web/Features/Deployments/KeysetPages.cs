namespace Admin.Web.Features.Deployments;

/// <summary>
/// Where a keyset-paged list (newest first) stands: the cursors of the pages before the current one, so "Newer" goes
/// back without offsets. The current page starts after <see cref="After"/> (null: the newest page).
/// </summary>
public sealed class KeysetPages<TCursor> where TCursor : class
{
    private readonly List<TCursor> _cursors = [];

    public TCursor? After => _cursors.Count == 0 ? null : _cursors[^1];

    /// <summary>1 for the newest page.</summary>
    public int PageNumber => _cursors.Count + 1;
    public bool HasNewer => _cursors.Count > 0;

    /// <summary>Moves to the page after <paramref name="next"/> (the current page's last row); false when there is none.</summary>
    public bool Older(TCursor? next)
    {
        if (next is null) return false;
        _cursors.Add(next);
        return true;
    }

    public void Newer()
    {
        if (_cursors.Count > 0) _cursors.RemoveAt(_cursors.Count - 1);
    }

    public void Newest() => _cursors.Clear();
}
