namespace Admin.Data.Content;

/// <summary>Storefront copy of one locale for the demo content (six of each, picked by index).</summary>
public sealed record LocalePhrases(
    string[] HeroTitles, string[] HeroSubtitles, string[] CallsToAction, string[] BannerTexts,
    string[] CarouselTitles, string[] GridTitles, string[] StoryTitles, string[] StoryParagraphs);

/// <summary>The texts <see cref="ContentSeeder"/> writes: per-locale storefront copy, editors' change notes, catalog names.</summary>
public static class ContentSeedTexts
{
    public static readonly IReadOnlyDictionary<string, LocalePhrases> Phrases = new Dictionary<string, LocalePhrases>
    {
        ["en-GB"] = new(
            ["Autumn essentials have landed", "New season, new layers", "The knitwear edit", "Made to last: our wool collection", "Weekend ready", "Winter warmers from £25"],
            ["Soft merino, heavyweight cotton and waterproof outerwear, designed to be worn for years.", "Free delivery on orders over £50 and free returns within 30 days.",
             "Discover pieces crafted from recycled and organic materials.", "Fresh colours for shorter days: olive, rust and camel.",
             "Everything you need for city breaks and countryside walks.", "Members get early access to the sale from Thursday."],
            ["Shop now", "Shop the collection", "Discover more", "See what's new", "Shop knitwear", "Explore outerwear"],
            ["Free delivery on orders over £50", "Members save an extra 10% this weekend", "Order by 8pm for next-day delivery",
             "Our shops stay open late every Thursday", "Final reductions: up to 50% off", "Gift cards now available in any amount"],
            ["Bestsellers", "New arrivals", "Back in stock", "Staff picks", "Under £30", "Trending this week"],
            ["Shop by category", "Find your fit", "Popular categories", "Gifts for everyone", "Shop the home edit", "Dress for the weather"],
            ["Our story", "Made responsibly", "Caring for your clothes", "From our studio", "Why we use merino", "Repair, don't replace"],
            ["We started in a small workshop in Leeds in 2009 with one idea: make everyday clothes that last.",
             "Every cotton piece we sell is organic or recycled, and we publish the mills we work with.",
             "Wash at 30 degrees and dry flat, and your knitwear will keep its shape for years.",
             "Our designers wear-test every fabric for a full season before it reaches the shop.",
             "Merino regulates temperature, resists odours and feels soft against the skin.",
             "Bring any of our garments to a shop and we will repair it free of charge."]),
        ["en-US"] = new(
            ["Fall essentials have landed", "New season, new layers", "The sweater edit", "Made to last: our wool collection", "Weekend ready", "Winter warmers from $30"],
            ["Soft merino, heavyweight cotton and waterproof outerwear, designed to be worn for years.", "Free shipping on orders over $75 and free returns for 30 days.",
             "Discover pieces made from recycled and organic materials.", "Fresh colors for shorter days: olive, rust and camel.",
             "Everything you need for city weekends and trail walks.", "Members get early access to the sale starting Thursday."],
            ["Shop now", "Shop the collection", "Learn more", "See what's new", "Shop sweaters", "Explore outerwear"],
            ["Free shipping on orders over $75", "Members save an extra 10% this weekend", "Order by 2pm ET for two-day shipping",
             "Our stores stay open late every Thursday", "Final markdowns: up to 50% off", "Gift cards now available in any amount"],
            ["Best sellers", "New arrivals", "Back in stock", "Staff picks", "Under $40", "Trending this week"],
            ["Shop by category", "Find your fit", "Popular categories", "Gifts for everyone", "Shop the home edit", "Dress for the weather"],
            ["Our story", "Made responsibly", "Caring for your clothes", "From our studio", "Why we use merino", "Repair, don't replace"],
            ["We started in a small workshop in 2009 with one idea: make everyday clothes that last.",
             "Every cotton piece we sell is organic or recycled, and we publish the mills we work with.",
             "Wash cold and dry flat, and your sweaters will keep their shape for years.",
             "Our designers wear-test every fabric for a full season before it reaches the store.",
             "Merino regulates temperature, resists odors and feels soft against the skin.",
             "Bring any of our garments to a store and we will repair it free of charge."]),
        ["de-DE"] = new(
            ["Die Herbst-Essentials sind da", "Neue Saison, neue Lagen", "Die Strick-Edition", "Gemacht für lange: unsere Wollkollektion", "Bereit fürs Wochenende", "Winterwärmer ab 29 €"],
            ["Weiche Merinowolle, schwere Baumwolle und wasserdichte Jacken – gemacht, um jahrelang getragen zu werden.",
             "Kostenloser Versand ab 50 € und kostenlose Rücksendung innerhalb von 30 Tagen.", "Entdecke Teile aus recycelten und biologischen Materialien.",
             "Frische Farben für kürzere Tage: Oliv, Rost und Camel.", "Alles, was du für Städtetrips und Spaziergänge auf dem Land brauchst.",
             "Mitglieder erhalten ab Donnerstag früher Zugang zum Sale."],
            ["Jetzt shoppen", "Zur Kollektion", "Mehr entdecken", "Neuheiten ansehen", "Strick shoppen", "Jacken entdecken"],
            ["Kostenloser Versand ab 50 € Bestellwert", "Mitglieder sparen dieses Wochenende zusätzlich 10 %", "Bis 20 Uhr bestellt, morgen geliefert",
             "Unsere Filialen haben donnerstags länger geöffnet", "Letzte Preissenkungen: bis zu 50 % Rabatt", "Geschenkkarten jetzt in jedem Betrag erhältlich"],
            ["Bestseller", "Neuheiten", "Wieder verfügbar", "Lieblingsstücke unseres Teams", "Unter 30 €", "Diese Woche im Trend"],
            ["Nach Kategorie shoppen", "Finde deine Passform", "Beliebte Kategorien", "Geschenke für alle", "Wohnen & Deko", "Für jedes Wetter"],
            ["Unsere Geschichte", "Verantwortungsvoll hergestellt", "So pflegst du deine Kleidung", "Aus unserem Studio", "Warum wir Merino verwenden", "Reparieren statt ersetzen"],
            ["Wir haben 2009 in einer kleinen Werkstatt in Leeds mit einer Idee begonnen: Alltagskleidung, die lange hält.",
             "Jedes Baumwollteil bei uns ist bio oder recycelt, und wir veröffentlichen die Spinnereien, mit denen wir arbeiten.",
             "Bei 30 Grad waschen und liegend trocknen – so behält dein Strick jahrelang seine Form.",
             "Unser Designteam testet jeden Stoff eine ganze Saison lang, bevor er in den Shop kommt.",
             "Merino reguliert die Temperatur, nimmt kaum Gerüche an und fühlt sich weich auf der Haut an.",
             "Bring eines unserer Kleidungsstücke in eine Filiale und wir reparieren es kostenlos."]),
        ["fr-FR"] = new(
            ["Les essentiels d’automne sont arrivés", "Nouvelle saison, nouvelles couches", "La sélection maille", "Fait pour durer : notre collection en laine", "Prêt pour le week-end", "Pièces chaudes dès 29 €"],
            ["Mérinos doux, coton épais et vestes imperméables, pensés pour être portés des années.",
             "Livraison offerte dès 50 € d’achat et retours gratuits sous 30 jours.", "Découvrez des pièces en matières recyclées et biologiques.",
             "Des couleurs fraîches pour les jours plus courts : olive, rouille et camel.", "Tout ce qu’il faut pour un week-end en ville ou à la campagne.",
             "Les membres accèdent aux soldes en avant-première dès jeudi."],
            ["Acheter maintenant", "Voir la collection", "En savoir plus", "Voir les nouveautés", "Découvrir la maille", "Voir les manteaux"],
            ["Livraison offerte dès 50 € d’achat", "Membres : 10 % de remise supplémentaire ce week-end", "Commandez avant 20 h, livré demain",
             "Nos boutiques ferment plus tard le jeudi", "Dernière démarque : jusqu’à -50 %", "Cartes cadeaux disponibles pour tous les montants"],
            ["Meilleures ventes", "Nouveautés", "De retour en stock", "Coups de cœur de l’équipe", "Moins de 30 €", "Tendances de la semaine"],
            ["Acheter par catégorie", "Trouvez votre coupe", "Catégories populaires", "Des cadeaux pour tous", "La sélection maison", "Habillé pour toutes les météos"],
            ["Notre histoire", "Fabriqué de façon responsable", "Prendre soin de vos vêtements", "Depuis notre atelier", "Pourquoi nous utilisons le mérinos", "Réparer plutôt que remplacer"],
            ["Tout a commencé en 2009 dans un petit atelier de Leeds, avec une idée : des vêtements du quotidien qui durent.",
             "Tout notre coton est biologique ou recyclé, et nous publions la liste des filatures avec lesquelles nous travaillons.",
             "Lavez à 30 degrés et séchez à plat : votre maille gardera sa forme pendant des années.",
             "Nos stylistes testent chaque tissu pendant une saison entière avant de le proposer en boutique.",
             "Le mérinos régule la température, résiste aux odeurs et reste doux sur la peau.",
             "Apportez l’un de nos vêtements en boutique et nous le réparons gratuitement."]),
        ["nl-NL"] = new(
            ["De herfstessentials zijn binnen", "Nieuw seizoen, nieuwe lagen", "De gebreide collectie", "Gemaakt om lang mee te gaan: onze wolcollectie", "Klaar voor het weekend", "Winterfavorieten vanaf € 29"],
            ["Zachte merinowol, stevig katoen en waterdichte jassen, gemaakt om jarenlang te dragen.",
             "Gratis verzending vanaf € 50 en gratis retourneren binnen 30 dagen.", "Ontdek items van gerecyclede en biologische materialen.",
             "Frisse kleuren voor kortere dagen: olijf, roest en camel.", "Alles wat je nodig hebt voor een stedentrip of een wandeling buiten.",
             "Leden krijgen vanaf donderdag als eerste toegang tot de sale."],
            ["Shop nu", "Bekijk de collectie", "Ontdek meer", "Bekijk wat nieuw is", "Shop truien", "Ontdek jassen"],
            ["Gratis verzending vanaf € 50", "Leden krijgen dit weekend 10% extra korting", "Voor 22.00 uur besteld, morgen in huis",
             "Onze winkels zijn op donderdag langer open", "Laatste afprijzingen: tot 50% korting", "Cadeaukaarten nu in elk bedrag verkrijgbaar"],
            ["Bestsellers", "Nieuw binnen", "Weer op voorraad", "Favorieten van het team", "Onder € 30", "Populair deze week"],
            ["Shop per categorie", "Vind jouw pasvorm", "Populaire categorieën", "Cadeaus voor iedereen", "Shop de woonselectie", "Gekleed op elk weer"],
            ["Ons verhaal", "Verantwoord gemaakt", "Zo verzorg je je kleding", "Uit onze studio", "Waarom we merino gebruiken", "Repareren in plaats van vervangen"],
            ["We begonnen in 2009 in een kleine werkplaats in Leeds met één idee: alledaagse kleding die lang meegaat.",
             "Al ons katoen is biologisch of gerecycled, en we maken de spinnerijen waarmee we werken openbaar.",
             "Was op 30 graden en droog liggend, dan blijft je trui jarenlang in vorm.",
             "Onze ontwerpers testen elke stof een volledig seizoen voordat hij in de winkel komt.",
             "Merino reguleert de temperatuur, neemt nauwelijks geurtjes op en voelt zacht aan.",
             "Breng een van onze kledingstukken naar een winkel en we repareren het gratis."]),
    };

    /// <summary>What editors wrote when they saved (version 1 is always "Created").</summary>
    public static readonly string[] ChangeSummaries =
    [
        "Updated the headline", "Fixed a typo", "New image for the campaign", "Shortened the subtitle for mobile",
        "Swapped in new arrivals", "Reordered products by last week's sales", "Changed the call to action",
        "Copy reviewed by the local team", "Pointed the link at the new landing page", "Softer wording after legal review",
        "Seasonal refresh", "Removed out-of-stock items", "Tightened the copy", "Matched the newsletter wording",
    ];

    // Products: adjective × item × colour, combined with strides that never repeat a name below 3,496 products.
    public static readonly string[] ProductAdjectives =
    [
        "Classic", "Organic", "Merino", "Relaxed", "Slim-fit", "Recycled", "Heavyweight", "Lightweight", "Vintage", "Essential",
        "Premium", "Waterproof", "Quilted", "Brushed", "Ribbed", "Oversized", "Tailored", "Linen-blend", "Everyday",
    ];

    public static readonly (string Item, string Description)[] ProductItems =
    [
        ("crew T-shirt", "Soft jersey with a clean neckline; pre-washed so it keeps its size."),
        ("hoodie", "Brushed-back fleece, a roomy hood and a kangaroo pocket."),
        ("chinos", "Cotton twill with a little stretch and a tapered leg."),
        ("denim jacket", "Rigid denim that softens with wear; two chest pockets."),
        ("wool jumper", "Fine-gauge knit that layers under a coat without bulk."),
        ("Oxford shirt", "Button-down collar, mother-of-pearl buttons, a curved hem."),
        ("rain jacket", "Taped seams, a packable hood and a two-way zip."),
        ("running shorts", "Quick-dry fabric with a zipped key pocket and a liner."),
        ("trainers", "Leather uppers on a cushioned rubber sole."),
        ("leather belt", "Full-grain leather with a solid brass buckle."),
        ("backpack", "A padded laptop sleeve and water-resistant canvas."),
        ("beanie", "Rib knit with a deep turn-up; one size fits most."),
        ("scarf", "Generously long, with fringed ends."),
        ("puffer jacket", "Recycled insulation, a high collar and hand-warmer pockets."),
        ("joggers", "Tapered with ribbed cuffs and a drawstring waist."),
        ("cardigan", "Horn-effect buttons and deep patch pockets."),
        ("polo shirt", "Piqué cotton with a two-button placket."),
        ("sweatshirt", "Loopback cotton with a raglan sleeve."),
        ("ankle boots", "Suede with a stacked heel and a side zip."),
        ("tote bag", "Heavy canvas with an inside pocket and long handles."),
        ("bucket hat", "Cotton twill with a stitched brim."),
        ("parka", "A fleece-lined hood and a longer cut for cold days."),
        ("socks (3-pack)", "Combed cotton with a reinforced heel and toe."),
    ];

    public static readonly string[] ProductColours = ["navy", "black", "off-white", "olive", "charcoal", "camel", "forest green", "rust"];

    /// <summary>100 categories, interleaved so that any first n cover women, men, kids and home.</summary>
    public static IReadOnlyList<(string Slug, string Name)> Categories { get; } = BuildCategories();

    private static List<(string Slug, string Name)> BuildCategories()
    {
        string[] clothing =
        [
            "New in", "Tops", "T-shirts", "Shirts", "Knitwear", "Hoodies", "Jackets", "Coats", "Jeans", "Trousers", "Shorts", "Loungewear",
            "Sportswear", "Swimwear", "Nightwear", "Underwear", "Socks", "Shoes", "Trainers", "Boots", "Bags", "Accessories", "Hats", "Sale", "Gifts",
        ];
        string[] home =
        [
            "Bedding", "Towels", "Cushions", "Throws", "Candles", "Tableware", "Glassware", "Cookware", "Storage", "Lighting", "Rugs", "Curtains",
            "Wall art", "Plants", "Vases", "Mirrors", "Kitchen textiles", "Bath accessories", "Stationery", "Books", "Games", "Pet accessories",
            "Outdoor living", "Gift cards", "Home sale",
        ];
        var list = new List<(string, string)>();
        for (var i = 0; i < clothing.Length; i++)
        {
            var type = clothing[i];
            var lower = char.IsLower(type[1]) ? char.ToLowerInvariant(type[0]) + type[1..] : type; // "new in", but "T-shirts"
            list.Add(($"women-{Slug(type)}", $"Women's {lower}"));
            list.Add(($"men-{Slug(type)}", $"Men's {lower}"));
            list.Add(($"kids-{Slug(type)}", $"Kids' {lower}"));
            list.Add(($"home-{Slug(home[i])}", home[i]));
        }
        return list;
    }

    private static string Slug(string text) =>
        string.Join('-', text.ToLowerInvariant().Split([' ', '&', '-'], StringSplitOptions.RemoveEmptyEntries));
}
