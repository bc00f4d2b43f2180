//! The website's own words in Dutch, English and French. Indicator texts come from the
//! metadata in whatever languages a site provides; these are only the interface's.

use serde_json::{Map, Value as Json};

/// (key, nl, en, fr)
const WORDS: &[(&str, &str, &str, &str)] = &[
    (
        "skip",
        "Naar de inhoud",
        "Skip to content",
        "Aller au contenu",
    ),
    ("search", "Zoeken", "Search", "Rechercher"),
    (
        "search_label",
        "Zoek een onderwerp of gebied",
        "Search a topic or area",
        "Rechercher un sujet ou une zone",
    ),
    (
        "search_placeholder",
        "bv. inwoners, werkloosheid, een wijk…",
        "e.g. population, a neighbourhood…",
        "p. ex. habitants, un quartier…",
    ),
    ("home", "Start", "Home", "Accueil"),
    (
        "bulk_forbidden",
        "Rapporten voor alle gebieden maken is voorbehouden aan medewerkers met een sleutel van de groep 'reports'.",
        "Making reports for every area is for staff with a key of the group 'reports'.",
        "La création de rapports pour toutes les zones est réservée au personnel disposant d'une clé du groupe « reports ».",
    ),
    (
        "bulk_busy",
        "Er lopen al te veel rapportopdrachten. Probeer het over een minuut opnieuw.",
        "Too many report jobs are running. Try again in a minute.",
        "Trop de tâches de rapports sont en cours. Réessayez dans une minute.",
    ),
    ("refused", "Niet toegestaan", "Not allowed", "Non autorisé"),
    ("job_cancel", "Stoppen", "Stop", "Arrêter"),
    (
        "job_cancelled",
        "De opdracht is gestopt.",
        "The job was stopped.",
        "La tâche a été arrêtée.",
    ),
    ("themes", "Thema's", "Themes", "Thèmes"),
    ("explorer", "Verkenner", "Explorer", "Explorateur"),
    ("compare", "Vergelijken", "Compare", "Comparer"),
    ("areas", "Gebieden", "Areas", "Zones"),
    ("language", "Taal", "Language", "Langue"),
    ("main_nav", "Hoofdmenu", "Main menu", "Menu principal"),
    ("highlights", "In de kijker", "Highlights", "À la une"),
    ("indicators", "Indicatoren", "Indicators", "Indicateurs"),
    ("indicator", "Indicator", "Indicator", "Indicateur"),
    ("n_indicators", "indicatoren", "indicators", "indicateurs"),
    ("subthemes", "Subthema's", "Sub-themes", "Sous-thèmes"),
    (
        "level",
        "Gebiedsniveau",
        "Area level",
        "Niveau géographique",
    ),
    ("period", "Periode", "Period", "Période"),
    (
        "classification",
        "Klassenindeling",
        "Classification",
        "Classification",
    ),
    (
        "classes",
        "Aantal klassen",
        "Number of classes",
        "Nombre de classes",
    ),
    ("show", "Toon", "Show", "Afficher"),
    ("map", "Kaart", "Map", "Carte"),
    ("chart", "Grafiek", "Chart", "Graphique"),
    ("table", "Tabel", "Table", "Tableau"),
    ("trend", "Evolutie", "Trend", "Évolution"),
    ("area", "Gebied", "Area", "Zone"),
    ("value", "Waarde", "Value", "Valeur"),
    ("rank", "Rang", "Rank", "Rang"),
    ("code", "Code", "Code", "Code"),
    ("sort_by", "Sorteer op", "Sort by", "Trier par"),
    ("downloads", "Downloads", "Downloads", "Téléchargements"),
    (
        "download_csv",
        "Tabel als CSV",
        "Table as CSV",
        "Tableau en CSV",
    ),
    (
        "download_xlsx",
        "Tabel als Excel",
        "Table as Excel",
        "Tableau en Excel",
    ),
    (
        "download_png",
        "Kaart als PNG",
        "Map as PNG",
        "Carte en PNG",
    ),
    (
        "download_svg",
        "Kaart als SVG",
        "Map as SVG",
        "Carte en SVG",
    ),
    (
        "download_json",
        "Gegevens als JSON",
        "Data as JSON",
        "Données en JSON",
    ),
    (
        "share",
        "Link naar deze weergave",
        "Link to this view",
        "Lien vers cette vue",
    ),
    ("embed", "Insluiten", "Embed", "Intégrer"),
    (
        "embed_help",
        "Plak deze code in een webpagina.",
        "Paste this code into a web page.",
        "Collez ce code dans une page web.",
    ),
    (
        "metadata",
        "Over deze indicator",
        "About this indicator",
        "À propos de cet indicateur",
    ),
    ("definition", "Definitie", "Definition", "Définition"),
    ("unit", "Eenheid", "Unit", "Unité"),
    ("source", "Bron", "Source", "Source"),
    (
        "last_update",
        "Laatst bijgewerkt",
        "Last updated",
        "Dernière mise à jour",
    ),
    (
        "more_info",
        "Meer info",
        "More information",
        "Plus d'informations",
    ),
    ("footnote", "Opmerking", "Note", "Remarque"),
    ("formula", "Berekening", "Computed as", "Calcul"),
    (
        "privacy_note",
        "Om de privacy te beschermen worden kleine aantallen niet getoond (x); 0 wordt altijd getoond. Soms wordt ook een ander cijfer verborgen — in dit gebied of een ander, in een andere periode of in een verwant cijfer waarvan dit de som of een deel is — zodat het kleine aantal niet uit totalen kan worden afgeleid. Zo'n verborgen cijfer kan groter zijn, en uitzonderlijk 0.",
        "To protect privacy, small numbers are not shown (x); 0 is always shown. Sometimes another figure is hidden too — in this area or another, in another period, or in a related figure this one is the sum or a part of — so that the small number cannot be derived from totals. Such a hidden figure may be larger, and exceptionally 0.",
        "Pour protéger la vie privée, les petits nombres ne sont pas affichés (x) ; 0 est toujours affiché. Parfois un autre chiffre est aussi masqué — dans cette zone ou une autre, pour une autre période ou dans un chiffre apparenté dont celui-ci est la somme ou une partie — afin que le petit nombre ne puisse être déduit des totaux. Un tel chiffre masqué peut être plus grand, et exceptionnellement 0.",
    ),
    (
        "hidden_cells",
        "verborgen cijfers in deze weergave",
        "hidden figures in this view",
        "chiffres masqués dans cette vue",
    ),
    (
        "provisional",
        "voorlopig cijfer",
        "provisional figure",
        "chiffre provisoire",
    ),
    ("forecast", "prognose", "forecast", "prévision"),
    (
        "compare_with",
        "Vergelijk met",
        "Compare with",
        "Comparer avec",
    ),
    (
        "comparison_areas",
        "Vergelijkingsgebieden",
        "Comparison areas",
        "Zones de comparaison",
    ),
    (
        "selected_areas",
        "Geselecteerde gebieden",
        "Selected areas",
        "Zones sélectionnées",
    ),
    (
        "clear_selection",
        "Selectie wissen",
        "Clear selection",
        "Effacer la sélection",
    ),
    (
        "select_hint",
        "Klik op een gebied in de kaart, grafiek of tabel om het te selecteren.",
        "Click an area in the map, chart or table to select it.",
        "Cliquez sur une zone de la carte, du graphique ou du tableau pour la sélectionner.",
    ),
    (
        "all_rows",
        "Toon alle rijen",
        "Show all rows",
        "Afficher toutes les lignes",
    ),
    (
        "rows_shown",
        "rijen getoond van",
        "rows shown of",
        "lignes affichées sur",
    ),
    (
        "top_bottom",
        "hoogste en laagste waarden",
        "highest and lowest values",
        "valeurs les plus hautes et les plus basses",
    ),
    (
        "no_data",
        "Geen gegevens voor deze keuze.",
        "No data for this choice.",
        "Pas de données pour ce choix.",
    ),
    (
        "profile",
        "Gebiedsprofiel",
        "Area profile",
        "Profil de la zone",
    ),
    (
        "profile_ring",
        "Profieltaart",
        "Profile ring",
        "Profil en anneau",
    ),
    (
        "profile_ring_help",
        "Elke schijf is een indicator, gegroepeerd per thema. De kleur toont hoe het gebied scoort ten opzichte van",
        "Each slice is an indicator, grouped by theme. Its colour shows how the area scores against",
        "Chaque part est un indicateur, groupé par thème. Sa couleur montre le score de la zone par rapport à",
    ),
    ("key_figures", "Kerncijfers", "Key figures", "Chiffres clés"),
    ("location", "Ligging", "Location", "Situation"),
    ("among", "van", "of", "sur"),
    ("distribution", "Spreiding", "Distribution", "Distribution"),
    ("part_of", "Ligt in", "Part of", "Fait partie de"),
    ("subareas", "Deelgebieden", "Sub-areas", "Sous-zones"),
    ("add", "Toevoegen", "Add", "Ajouter"),
    ("results", "resultaten", "results", "résultats"),
    (
        "no_results",
        "Niets gevonden. Probeer een ander woord.",
        "Nothing found. Try another word.",
        "Aucun résultat. Essayez un autre mot.",
    ),
    (
        "results_for",
        "Zoekresultaten voor",
        "Search results for",
        "Résultats pour",
    ),
    (
        "not_found",
        "Pagina niet gevonden",
        "Page not found",
        "Page introuvable",
    ),
    (
        "not_found_text",
        "Deze pagina bestaat niet (meer). Zoek verder of ga naar de startpagina.",
        "This page does not exist (any more). Search or go to the home page.",
        "Cette page n'existe pas (ou plus). Cherchez ou retournez à l'accueil.",
    ),
    (
        "explorer_intro",
        "Kies indicatoren, gebieden en periodes en bekijk ze als tabel, kaart of grafiek.",
        "Pick indicators, areas and periods and view them as a table, map or chart.",
        "Choisissez des indicateurs, des zones et des périodes, en tableau, carte ou graphique.",
    ),
    (
        "compare_intro",
        "Zet gebieden naast elkaar voor een reeks indicatoren.",
        "Put areas side by side for a set of indicators.",
        "Comparez des zones pour une série d'indicateurs.",
    ),
    ("view", "Weergave", "View", "Vue"),
    (
        "all_areas",
        "alle gebieden",
        "all areas",
        "toutes les zones",
    ),
    ("latest", "meest recent", "latest", "le plus récent"),
    (
        "api",
        "Open data (API)",
        "Open data (API)",
        "Données ouvertes (API)",
    ),
    (
        "made_with",
        "Gemaakt met Peil",
        "Made with Peil",
        "Réalisé avec Peil",
    ),
    ("open", "Open", "Open", "Ouvrir"),
    ("change_since", "t.o.v.", "vs", "p.r. à"),
    ("reference", "referentie", "reference", "référence"),
    ("theme", "Thema", "Theme", "Thème"),
    ("more", "Meer", "More", "Plus"),
    ("from", "Van", "From", "De"),
    (
        "reports",
        "Rapporten en dashboards",
        "Reports and dashboards",
        "Rapports et tableaux de bord",
    ),
    ("stories", "Rapporten", "Reports", "Rapports"),
    ("dashboards", "Dashboards", "Dashboards", "Tableaux de bord"),
    (
        "choose_area",
        "Kies een gebied",
        "Choose an area",
        "Choisir une zone",
    ),
    (
        "download_pdf",
        "Download als PDF",
        "Download as PDF",
        "Télécharger en PDF",
    ),
    (
        "bulk",
        "Voor alle gebieden",
        "For every area",
        "Pour toutes les zones",
    ),
    (
        "bulk_help",
        "Maak dit rapport als PDF voor elk gebied van dit niveau, samen in één ZIP-bestand.",
        "Make this report as a PDF for every area of this level, together in one ZIP file.",
        "Créer ce rapport en PDF pour chaque zone de ce niveau, dans un fichier ZIP.",
    ),
    ("bulk_start", "Start", "Start", "Démarrer"),
    ("progress", "Voortgang", "Progress", "Progression"),
    (
        "job_done",
        "Klaar: download het ZIP-bestand.",
        "Done: download the ZIP file.",
        "Terminé : téléchargez le fichier ZIP.",
    ),
    (
        "job_running",
        "Bezig… deze pagina ververst vanzelf.",
        "Working… this page refreshes by itself.",
        "En cours… cette page se rafraîchit toute seule.",
    ),
    ("details", "Details", "Details", "Détails"),
    ("target", "Doel", "Target", "Objectif"),
    (
        "missing_note",
        "Niet in deze databank, weggelaten",
        "Not in this databank, left out",
        "Absents de cette base, omis",
    ),
    ("sources", "Bronnen", "Sources", "Sources"),
    ("select", "Selecteer", "Select", "Sélectionner"),
    (
        "unselect",
        "Selectie opheffen",
        "Unselect",
        "Désélectionner",
    ),
    (
        "search_results_form",
        "Zoek opnieuw",
        "Search again",
        "Nouvelle recherche",
    ),
    ("to", "tot", "to", "à"),
    (
        "interval",
        "Betrouwbaarheidsinterval",
        "Confidence interval",
        "Intervalle de confiance",
    ),
    ("interval_short", "Interval", "Interval", "Intervalle"),
    (
        "vs_benchmark",
        "Significantie",
        "Significance",
        "Significativité",
    ),
    (
        "sig_higher",
        "significant hoger dan",
        "significantly higher than",
        "significativement plus élevé que",
    ),
    (
        "sig_lower",
        "significant lager dan",
        "significantly lower than",
        "significativement plus bas que",
    ),
    (
        "sig_none",
        "niet significant verschillend van",
        "not significantly different from",
        "pas significativement différent de",
    ),
    (
        "survey_note",
        "Enquêteresultaat: het interval is de foutenmarge van de steekproef; een verschil met het referentiegebied is significant als het groter is dan de foutenmarges samen toelaten.",
        "Survey result: the interval is the sample's margin of error; a difference from the benchmark area is significant when it is larger than both margins allow.",
        "Résultat d'enquête : l'intervalle est la marge d'erreur de l'échantillon ; une différence avec la zone de référence est significative si elle dépasse ce que les marges permettent.",
    ),
];

/// Every word of the interface in `lang` (Dutch where a language is unknown).
pub fn words(lang: &str) -> Map<String, Json> {
    WORDS
        .iter()
        .map(|(k, nl, en, fr)| {
            let w = match lang {
                "en" => en,
                "fr" => fr,
                _ => nl,
            };
            (k.to_string(), Json::from(*w))
        })
        .collect()
}

/// One word of the interface.
pub fn word(lang: &str, key: &str) -> &'static str {
    WORDS
        .iter()
        .find(|w| w.0 == key)
        .map(|(_, nl, en, fr)| match lang {
            "en" => *en,
            "fr" => *fr,
            _ => *nl,
        })
        .unwrap_or("")
}

/// The name of a language in itself.
pub fn language_name(lang: &str) -> &'static str {
    match lang {
        "nl" => "Nederlands",
        "en" => "English",
        "fr" => "Français",
        _ => "?",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_unique_and_every_language_is_filled() {
        let mut seen = std::collections::HashSet::new();
        for (k, nl, en, fr) in super::WORDS {
            assert!(seen.insert(*k), "duplicate key {k}");
            assert!(!nl.is_empty() && !en.is_empty() && !fr.is_empty(), "{k}");
        }
    }
}
