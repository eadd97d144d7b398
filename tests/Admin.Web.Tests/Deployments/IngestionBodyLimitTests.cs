using System.Net;
using System.Net.Http.Headers;
using Admin.TestSupport;
using Admin.Web.Features.Deployments.Api;
using Microsoft.AspNetCore.Http;

namespace Admin.Web.Tests.Deployments;

/// <summary>
/// The ingestion endpoints refuse an oversized body before reading it: a chunked body (no Content-Length) is read only
/// to the limit, and Kestrel's per-endpoint limit stops it too; the answer is 413 and nothing is applied.
/// </summary>
public sealed class IngestionBodyLimitTests
{
    /// <summary>A body of zeros that counts what was read from it.</summary>
    private sealed class CountingBody(long length) : Stream
    {
        public long BytesRead { get; private set; }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - BytesRead);
            Array.Clear(buffer, offset, n);
            BytesRead += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task A_chunked_body_is_read_only_to_the_limit_not_to_its_end()
    {
        var body = new CountingBody(50L * 1024 * 1024);
        var http = new DefaultHttpContext { Request = { Body = body } };

        Assert.Null(await DeploymentApi.ReadBoundedAsync(http));
        Assert.True(body.BytesRead <= DeploymentApi.MaxBodyBytes + 16 * 1024, $"read {body.BytesRead} bytes of a 50 MB body");

        var small = new CountingBody(1000);
        using var buffer = await DeploymentApi.ReadBoundedAsync(new DefaultHttpContext { Request = { Body = small } });
        Assert.Equal(1000, buffer!.Length);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Over_kestrel_an_oversized_body_is_413_and_nothing_is_applied(bool chunked)
    {
        await using var db = await TestDatabase.CreateAsync();
        await using var app = new AdminAppFactory(db, demoSeed: false);
        var address = app.StartKestrel();
        var token = (await db.TokenService(DeploymentFixtures.Admin).CreateAsync("limit-test", Admin.Data.Deployments.TokenScope.Everything)).Secret;
        using var client = new HttpClient { BaseAddress = address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var payload = new byte[2 * 1024 * 1024];
        HttpContent content = chunked ? new StreamContent(new MemoryStream(payload)) : new ByteArrayContent(payload);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (chunked) content.Headers.ContentLength = null;

        var response = await client.PostAsync("/api/deployments", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains($"at most {DeploymentApi.MaxBodyBytes} bytes", await response.Content.ReadAsStringAsync());
        await using var connection = await db.OpenAppAsAdminAsync();
        Assert.Equal(0L, await connection.ScalarAsync<long>("SELECT count(*) FROM deployments"));
    }
}
