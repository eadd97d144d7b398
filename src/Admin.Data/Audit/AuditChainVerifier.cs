using Admin.Data.Session;
using Npgsql;

namespace Admin.Data.Audit;

/// <summary>A place where the audit chain does not hold, in words an auditor can act on.</summary>
public sealed record ChainProblem(long Seq, long? EventId, DateTimeOffset? OccurredAt, string Problem);

/// <summary>The outcome of a verification: how much was checked, the head it ended at, and what is wrong.</summary>
public sealed record ChainReport(long Verified, long Unchained, long FirstSeq, long HeadSeq, string HeadHash, long ArchivedThrough, IReadOnlyList<ChainProblem> Problems)
{
    public bool Intact => Problems.Count == 0;
}

/// <summary>
/// Recomputes the audit hash chain (migration AuditChain) in one pass over the chained rows, in SQL: each row's hash
/// must equal SHA-256 of the previous row's hash and its own canonical content, sequence numbers must follow each
/// other from the genesis (or the last archived partition's anchor), and the newest row must be the head. Reports at
/// most <paramref name="limit"/> problems, oldest first. Reading needs only SELECT on audit_events.
/// </summary>
public static class AuditChainVerifier
{
    public static async Task<ChainReport> VerifyAsync(NpgsqlDataSource dataSource, int limit = 20, CancellationToken ct = default)
    {
        // Row-level security lets only some roles read the trail: the verifier reads it as a job of the console.
        await using var connection = await SessionConnection.OpenAsync(dataSource, SessionRoles.SystemJob("audit-verifier"), ct);
        // One snapshot for the whole verification, so rows written meanwhile cannot look like a broken head.
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);

        long headSeq, anchorSeq;
        byte[] headHash, anchorHash;
        await using (var head = new NpgsqlCommand("""
            SELECT h.seq, h.hash, coalesce(a.last_seq, 0), coalesce(a.last_hash, h.genesis)
              FROM audit_chain_head h
              LEFT JOIN LATERAL (SELECT last_seq, last_hash FROM audit_archives WHERE last_seq IS NOT NULL
                                  ORDER BY last_seq DESC LIMIT 1) a ON true
             WHERE h.id = 1
            """, connection, tx))
        await using (var r = await head.ExecuteReaderAsync(ct))
        {
            await r.ReadAsync(ct);
            (headSeq, headHash, anchorSeq, anchorHash) = (r.GetInt64(0), (byte[])r[1], r.GetInt64(2), (byte[])r[3]);
        }

        var problems = new List<ChainProblem>();
        await using (var walk = new NpgsqlCommand("""
            WITH c AS (
                SELECT chain_seq, id, occurred_at, row_hash,
                       lag(chain_seq) OVER w AS prev_seq,
                       sha256(coalesce(lag(row_hash) OVER w, @anchor) || convert_to(audit_canonical(chain_seq, id, occurred_at,
                           actor_id, actor_email, actor_roles, action, table_name, record_id, old_data, new_data, request_id,
                           client_address), 'UTF8')) AS expected
                  FROM audit_events WHERE chain_seq IS NOT NULL
                WINDOW w AS (ORDER BY chain_seq, id))
            SELECT chain_seq, id, occurred_at,
                   CASE WHEN prev_seq IS NULL AND chain_seq <> @first
                            THEN format('the chain should start at %s but starts at %s: rows %s to %s are missing', @first, chain_seq, @first, chain_seq - 1)
                        WHEN prev_seq = chain_seq
                            THEN 'two rows claim this place in the chain: one was added outside the chain'
                        WHEN chain_seq <> prev_seq + 1
                            THEN format('rows %s to %s are missing (deleted)', prev_seq + 1, chain_seq - 1)
                        ELSE 'the row was changed after it was written (its hash does not match its content)'
                   END
              FROM c
             WHERE (prev_seq IS NULL AND chain_seq <> @first) OR chain_seq <> prev_seq + 1 OR row_hash IS DISTINCT FROM expected
             ORDER BY chain_seq, id
             LIMIT @limit
            """, connection, tx))
        {
            walk.Parameters.AddWithValue("anchor", anchorHash);
            walk.Parameters.AddWithValue("first", anchorSeq + 1);
            walk.Parameters.AddWithValue("limit", limit);
            await using var r = await walk.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                problems.Add(new ChainProblem(r.GetInt64(0), r.GetInt64(1), r.GetFieldValue<DateTimeOffset>(2), r.GetString(3)));
        }

        long verified, unchained, lastSeq;
        byte[]? lastHash;
        await using (var totals = new NpgsqlCommand("""
            SELECT count(chain_seq), count(*) - count(chain_seq), coalesce(max(chain_seq), @anchor_seq),
                   (SELECT row_hash FROM audit_events WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC, id DESC LIMIT 1)
              FROM audit_events
            """, connection, tx))
        {
            totals.Parameters.AddWithValue("anchor_seq", anchorSeq);
            await using var r = await totals.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            (verified, unchained, lastSeq, lastHash) = (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.IsDBNull(3) ? null : (byte[])r[3]);
        }
        if (lastSeq < headSeq)
            problems.Add(new ChainProblem(lastSeq + 1, null, null, $"the newest rows {lastSeq + 1} to {headSeq} are missing (the chain's head is at {headSeq})"));
        else if (lastSeq > headSeq)
            problems.Add(new ChainProblem(lastSeq, null, null, $"rows after the head ({headSeq}) were added outside the chain"));
        else if (lastHash is not null && !lastHash.AsSpan().SequenceEqual(headHash))
            problems.Add(new ChainProblem(lastSeq, null, null, "the newest row does not match the chain's head"));

        return new ChainReport(verified, unchained, anchorSeq + 1, headSeq, Convert.ToHexStringLower(headHash), anchorSeq, problems);
    }
}
