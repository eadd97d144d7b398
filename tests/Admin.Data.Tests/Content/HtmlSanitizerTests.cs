using System.Text.Json.Nodes;
using Admin.Data.Content;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace Admin.Data.Tests.Content;

/// <summary>
/// Rich text is cleaned by the HtmlSanitizer library configured with the console's allow-list. The corpus holds
/// well-known XSS vectors (OWASP's filter evasion cheat sheet and mutation XSS); for each, the output is checked the way a
/// browser would read it and compared with the exact text that is left. Allowed markup must come out unchanged.
/// </summary>
public sealed class HtmlSanitizerTests
{
    /// <summary>Input, and exactly what is left of it.</summary>
    public static TheoryData<string, string> XssVectors => new()
    {
        // script elements, split and unclosed
        { "<script>alert(1)</script>", "" },
        { "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>", "" },
        { """<script/xss src="https://xss.example/xss.js"></script>""", "" },
        { "<scr<script>ipt>alert(1)</scr</script>ipt>", "ipt&gt;alert(1)ipt&gt;" },
        { "<<script>alert(1);//<</script>", "&lt;" },
        { "<p>ok</p><script>alert(1)", "<p>ok</p>" },
        { "<xss onafterscriptexecute=alert(1)><script>1</script>", "" },
        // images: javascript: sources, mixed case, backticks, event handlers, quote breaking
        { "<IMG SRC=\"javascript:alert('XSS');\">", "" },
        { "<IMG SRC=JaVaScRiPt:alert('XSS')>", "" },
        { "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>", "" },
        { "<img src=x onerror=alert(1)>", "" },
        { "<img src=x:alert(alt) onerror=eval(src) alt=0>", "" },
        { "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\">", "\"&gt;" },
        // links: schemes in every disguise
        { """<a href="javascript:alert(1)">click</a>""", "<a>click</a>" },
        { """<a href="JaVaScRiPt:alert(1)">click</a>""", "<a>click</a>" },
        { """<a href="jav&#x09;ascript:alert(1)">click</a>""", "<a>click</a>" },
        { """<a href="jav&#x0A;ascript:alert(1)">click</a>""", "<a>click</a>" },
        { "<a href=\"jav\tascript:alert(1)\">click</a>", "<a>click</a>" },
        { """<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">click</a>""", "<a>click</a>" },
        { """<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)">click</a>""", "<a>click</a>" },
        { """<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)">click</a>""", "<a>click</a>" },
        { """<a href="javascript&colon;alert(1)">click</a>""", "<a>click</a>" },
        { """<a href=" &#14;  javascript:alert(1)">click</a>""", "<a>click</a>" },
        { "<a href=\"java\0script:alert(1)\">click</a>", "<a>click</a>" },
        { "<a href=\"\u0001javascript:alert(1)\">click</a>", "<a>click</a>" },
        { """<a href="vbscript:msgbox(1)">click</a>""", "<a>click</a>" },
        { """<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>""", "<a>click</a>" },
        { """<a href="  data:text/html,<script>alert(1)</script>">click</a>""", "<a>click</a>" },
        { """<a href="https://ok.example" onmouseover="alert(1)">link</a>""", """<a href="https://ok.example">link</a>""" },
        // event handlers on allowed and unknown elements
        { """<p onclick="alert(1)">text</p>""", "<p>text</p>" },
        { "<P ONMOUSEOVER=alert(1)>text</P>", "<p>text</p>" },
        { "<details open ontoggle=alert(1)>summary</details>", "summary" },
        { "<body onload=alert(1)>text", "text" },
        { "<marquee onstart=alert(1)>moving</marquee>", "moving" },
        { """<video><source onerror="alert(1)"></video>""", "" },
        { "<isindex type=image src=1 onerror=alert(1)>", "" },
        // SVG and MathML
        { "<svg/onload=alert(1)>", "" },
        { "<svg><script>alert(1)</script></svg>", "" },
        { """<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>""", "" },
        { "<svg><animate onbegin=alert(1) attributeName=x dur=1s>", "" },
        { "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", "" },
        { """<math href="javascript:alert(1)">CLICKME</math>""", "" },
        // embedded documents, forms, document-level elements
        { """<iframe src="javascript:alert(1)"></iframe>""", "" },
        { """<iframe srcdoc="<script>alert(1)</script>"></iframe>""", "" },
        { """<object data="javascript:alert(1)"></object>""", "" },
        { """<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">""", "" },
        { """<form action="javascript:alert(1)"><input type="submit" value="go"></form>""", "" },
        { """<button formaction="javascript:alert(1)">press</button>""", "" },
        { "<input autofocus onfocus=alert(1)>", "" },
        { """<meta http-equiv="refresh" content="0;url=javascript:alert(1)">""", "" },
        { """<link rel="stylesheet" href="javascript:alert(1)">""", "" },
        { """<base href="javascript:alert(1)//"><a href="/x">x</a>""", """<a href="/x">x</a>""" },
        { "<template><script>alert(1)</script></template>", "" },
        // styles
        { "<style>@import 'https://xss.example/xss.css';</style>", "" },
        { """<style>body{background:url("javascript:alert(1)")}</style>""", "" },
        { """<p style="background-image: url(javascript:alert(1))">text</p>""", "<p>text</p>" },
        { """<p style="width: expression(alert(1))">text</p>""", "<p>text</p>" },
        { """<div style="behavior: url(xss.htc)">text</div>""", "text" },
        { """<table background="javascript:alert(1)"><tr><td>cell</td></tr></table>""", "cell" },
        // comments, CDATA, null bytes
        { "<!--<script>alert(1)</script>-->", "" },
        { "<!--[if gte IE 4]><script>alert(1)</script><![endif]-->", "" },
        { "<![CDATA[<script>alert(1)</script>]]>", "alert(1)]]&gt;" },
        { "<scr\0ipt>alert(1)</scr\0ipt>", "alert(1)" },
        // mutation XSS: parsed as a browser parses it (scripting on), the noscript ends inside the attribute
        { """<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>""", "\"&gt;" },
        // broken markup
        { """<div><a href="javascript:alert(1)">unclosed""", "<a>unclosed</a>" },
        { "<p onclick=\"alert(1)\"", "" },
        { """<a href="javascript:alert(1)"<b>broken</b>""", "<a>broken</a>" },
    };

    [Theory]
    [MemberData(nameof(XssVectors))]
    public void Nothing_executable_survives(string input, string expected)
    {
        var output = HtmlSanitizer.Sanitize(input);

        Assert.Empty(ExecutableParts(output));
        Assert.Equal(expected, output);
        // Parsed again (as the storefront's browser will), the output is the same markup: nothing mutates into more.
        Assert.Equal(output, HtmlSanitizer.Sanitize(output));
    }

    /// <summary>Everything the editor's formatting can produce.</summary>
    public static TheoryData<string> AllowedMarkup => new()
    {
        "<h2>Title</h2><h3>Sub</h3><h4>Minor</h4>",
        "<p>One<br>two</p>",
        "<p><strong>b</strong> <b>b</b> <em>i</em> <i>i</i> <u>u</u> <s>s</s></p>",
        "<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul><ol><li>1</li></ol>",
        "<blockquote><p>quote</p></blockquote>",
        "<pre><code>if (a &lt; b &amp;&amp; c &gt; d) { }</code></pre>",
        "<p>H<sub>2</sub>O, x<sup>2</sup>, <span>span</span></p><hr>",
        """<p><a href="https://example.com/path?q=1&amp;r=2" title="Example">https</a></p>""",
        """<a href="http://example.com">http</a>""",
        """<a href="HTTPS://EXAMPLE.COM">upper case</a>""",
        """<a href="mailto:team@example.com">mail</a>""",
        """<a href="/products/shoes?size=42#reviews">site path</a>""",
        """<a href="#details">anchor</a>""",
        """<a href="https://example.com" target="_blank" rel="noopener noreferrer">new window</a>""",
        """<a href="https://example.com" rel="nofollow">rel kept</a>""",
        """<a href="https://example.com" title="a &quot;quoted&quot; title">t</a>""",
        "<p>Fish &amp; chips &lt;3 — “quotes” Größe 42 €</p>",
        "<p>a &lt;script&gt;alert(1)&lt;/script&gt; as text</p>",
    };

    [Theory]
    [MemberData(nameof(AllowedMarkup))]
    public void Allowed_markup_comes_out_unchanged(string html)
    {
        Assert.Equal(html, HtmlSanitizer.Sanitize(html));
        Assert.Empty(ExecutableParts(html));
    }

    /// <summary>The allow-list's own rules: unwrapping, attributes only on links, link targets and addresses.</summary>
    public static TheoryData<string, string> PolicyCases => new()
    {
        { "<h1>Big</h1><div>block</div><table><tr><td>cell</td></tr></table>", "Bigblockcell" },
        { """<p title="t" class="c" id="i" style="color:red" data-x="1" dir="rtl">x</p>""", "<p>x</p>" },
        { """<span title="x">y</span><img src="https://example.com/a.png" alt="pic">""", "<span>y</span>" },
        { """<a name="n" id="i" download href="https://example.com/f.pdf" ping="https://t.example">x</a>""", """<a href="https://example.com/f.pdf">x</a>""" },
        { """<a href="https://example.com" target="_blank">x</a>""", """<a href="https://example.com" target="_blank" rel="noopener noreferrer">x</a>""" },
        { """<a href="https://example.com" target="_blank" rel="opener">x</a>""", """<a href="https://example.com" target="_blank" rel="noopener noreferrer">x</a>""" },
        { """<a href="https://example.com" target="_self">x</a>""", """<a href="https://example.com">x</a>""" },
        { """<a href="https://example.com" target="_top" rel="nofollow">x</a>""", """<a href="https://example.com" rel="nofollow">x</a>""" },
        { """<a href="https://example.com" target="_BLANK">x</a>""", """<a href="https://example.com">x</a>""" },
        { """<a href="page.html">x</a>""", "<a>x</a>" },
        { """<a href="?q=1">x</a>""", "<a>x</a>" },
        { """<a href="ftp://example.com/file">x</a>""", "<a>x</a>" },
        { """<a href="//example.com">x</a>""", "<a>x</a>" },
        { """<a href="/\example.com">x</a>""", "<a>x</a>" },
        { """<a href="\\example.com">x</a>""", "<a>x</a>" },
        { """<a href="https://">x</a>""", "<a>x</a>" },
        { """<a title="x < y > z" href="/a">t</a>""", """<a title="x &lt; y &gt; z" href="/a">t</a>""" },
        { "<p>a</p><!-- note -->", "<p>a</p>" },
        { "  <p>a</p>  ", "<p>a</p>" },
    };

    [Theory]
    [MemberData(nameof(PolicyCases))]
    public void The_allow_list_rules_apply(string input, string expected)
    {
        var output = HtmlSanitizer.Sanitize(input);
        Assert.Equal(expected, output);
        Assert.Empty(ExecutableParts(output));
    }

    [Fact]
    public void A_rich_text_section_is_saved_sanitised_and_script_alone_is_no_text()
    {
        var (content, errors) = SectionSchemas.Validate(SectionTypes.RichText, new JsonObject
        {
            ["html"] = """<p onclick="x()">Hi <a href="javascript:alert(1)">there</a></p><script>alert(1)</script>""",
        });
        Assert.Empty(errors);
        Assert.Equal("<p>Hi <a>there</a></p>", (string?)content["html"]);

        (_, errors) = SectionSchemas.Validate(SectionTypes.RichText, new JsonObject { ["html"] = "<script>alert(1)</script><svg/onload=alert(1)>" });
        Assert.Equal("html", Assert.Single(errors).Field);
    }

    [Fact]
    public void The_one_shared_instance_gives_the_same_answers_on_many_threads()
    {
        var cases = XssVectors.Concat(PolicyCases).Select(row => (Input: (string)row[0], Expected: (string)row[1])).ToList();
        var wrong = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            foreach (var (input, expected) in cases)
                if (HtmlSanitizer.Sanitize(input) is var output && output != expected) wrong.Add($"{input} → {output}");
        });
        Assert.Empty(wrong);
    }

    // ------------------------------------------------------------------------------------------------ the check

    /// <summary>Markup that the check must flag: it is not vacuous.</summary>
    [Theory]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("""<p onclick="x()">a</p>""")]
    [InlineData("""<a href="jav&#x09;ascript:alert(1)">a</a>""")]
    [InlineData("""<a href="data:text/html,x">a</a>""")]
    [InlineData("""<a href="//evil.example">a</a>""")]
    [InlineData("<svg><a>x</a></svg>")]
    [InlineData("""<p style="width: expression(alert(1))">a</p>""")]
    [InlineData("""<meta http-equiv="refresh" content="0;url=https://evil.example">""")]
    [InlineData("""<iframe srcdoc="x"></iframe>""")]
    [InlineData("""<span title="x">a</span>""")]
    public void The_check_flags_executable_markup(string html) => Assert.NotEmpty(ExecutableParts(html));

    private static readonly HtmlParser BrowserParser = new(new HtmlParserOptions { IsScripting = true });

    private static readonly string[] ForbiddenMarkup =
        ["<script", "<svg", "<math", "<iframe", "<object", "<embed", "<form", "<meta", "<style", "<link", "<base", "<img", "<template", "<noscript"];

    /// <summary>
    /// What a browser could run or be sent elsewhere by: any element outside the allow-list (script, svg, math, iframe,
    /// object, embed, form, meta, style, …) or outside the HTML namespace, any attribute but a link's
    /// href/title/target/rel (event handlers, style, src, formaction, xlink:href, …), and any link address other than
    /// http(s), mailto, a site path or an anchor (javascript:, vbscript:, data:, protocol-relative).
    /// </summary>
    private static List<string> ExecutableParts(string html)
    {
        var problems = ForbiddenMarkup.Where(tag => html.Contains(tag, StringComparison.OrdinalIgnoreCase)).Select(tag => $"markup {tag}").ToList();
        var body = BrowserParser.ParseDocument($"<!doctype html><html><body>{html}").Body!;
        foreach (var element in body.QuerySelectorAll("*"))
        {
            if (element.NamespaceUri != NamespaceNames.HtmlUri || !HtmlSanitizer.AllowedTags.Contains(element.LocalName))
                problems.Add($"element <{element.LocalName}>");
            foreach (var attribute in element.Attributes)
            {
                if (element.LocalName != "a" || !HtmlSanitizer.LinkAttributes.Contains(attribute.Name))
                    problems.Add($"attribute {attribute.Name} on <{element.LocalName}>");
                else if (attribute.Name == "href" && !IsHarmlessAddress(attribute.Value))
                    problems.Add($"address {attribute.Value}");
            }
        }
        return problems;
    }

    private static bool IsHarmlessAddress(string href)
    {
        // Browsers ignore whitespace and control characters inside a scheme.
        var url = new string(href.Where(c => !char.IsWhiteSpace(c) && !char.IsControl(c)).ToArray()).ToLowerInvariant();
        if (url.StartsWith("javascript:") || url.StartsWith("vbscript:") || url.StartsWith("data:")) return false;
        return url.StartsWith("https://") || url.StartsWith("http://") || url.StartsWith("mailto:") || url.StartsWith('#')
            || (url.StartsWith('/') && !url.StartsWith("//") && !url.StartsWith("/\\"));
    }
}
