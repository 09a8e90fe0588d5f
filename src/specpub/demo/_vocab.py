"""Small built-in vocabularies for the demo collection: plants, people, places.

The names are real, plausible herbarium content (families, genera and authors
as they appear on sheets); combinations are drawn at random, so a demo row is
not a statement about any real specimen.
"""

from __future__ import annotations

from typing import NamedTuple


class Taxon(NamedTuple):
    family: str
    genus: str
    epithet: str
    authorship: str


class Place(NamedTuple):
    country: str
    code: str
    province: str
    locality: str
    lat: float
    lon: float


TAXA: tuple[Taxon, ...] = (
    Taxon("Fagaceae", "Quercus", "robur", "L."),
    Taxon("Fagaceae", "Fagus", "sylvatica", "L."),
    Taxon("Betulaceae", "Betula", "pendula", "Roth"),
    Taxon("Rosaceae", "Rosa", "canina", "L."),
    Taxon("Rosaceae", "Crataegus", "monogyna", "Jacq."),
    Taxon("Lamiaceae", "Mentha", "aquatica", "L."),
    Taxon("Lamiaceae", "Salvia", "pratensis", "L."),
    Taxon("Asteraceae", "Vernonia", "amygdalina", "Delile"),
    Taxon("Asteraceae", "Arnica", "montana", "L."),
    Taxon("Fabaceae", "Brachystegia", "spiciformis", "Benth."),
    Taxon("Fabaceae", "Acacia", "karroo", "Hayne"),
    Taxon("Rubiaceae", "Coffea", "canephora", "Pierre ex A.Froehner"),
    Taxon("Rubiaceae", "Psychotria", "kirkii", "Hiern"),
    Taxon("Malvaceae", "Melochia", "parvifolia", "Kunth"),
    Taxon("Malvaceae", "Sida", "rhombifolia", "L."),
    Taxon("Orchidaceae", "Orchis", "mascula", "(L.) L."),
    Taxon("Orchidaceae", "Eulophia", "streptopetala", "Lindl."),
    Taxon("Poaceae", "Festuca", "rubra", "L."),
    Taxon("Poaceae", "Hyparrhenia", "rufa", "(Nees) Stapf"),
    Taxon("Ericaceae", "Erica", "tetralix", "L."),
    Taxon("Ranunculaceae", "Ranunculus", "acris", "L."),
    Taxon("Apocynaceae", "Landolphia", "owariensis", "P.Beauv."),
    Taxon("Euphorbiaceae", "Euphorbia", "hirta", "L."),
    Taxon("Melastomataceae", "Dissotis", "rotundifolia", "(Sm.) Triana"),
    Taxon("Solanaceae", "Solanum", "dulcamara", "L."),
    Taxon("Boraginaceae", "Myosotis", "scorpioides", "L."),
)

COLLECTORS: tuple[str, ...] = (
    "Lejeune, A.L.S.",
    "Luke W.R.Q. & Luke P.A.",
    "Willing,R. & Willing,E.",
    "B. Bartholomew & al.",
    "Linden, J.",
    "Bequaert, J.",
    "Lebrun, J.",
    "Louis, J.",
    "Dewèvre, A.",
    "Crépin, F.",
    "Vanderyst, H.",
    "Robyns, W.",
    "Schumann, K.",
)

DETERMINERS: tuple[str, ...] = (
    "Robyns, W.",
    "Bamps, P.",
    "Lisowski, S.",
    "Jansen-Jacobs, M.J.",
    "Lambinon, J.",
    "Stieperaere, H.",
)

# Longitudes stay within ±90° so that swapping latitude and longitude keeps the
# values in range: a swapped pair is then wrong only against the country.
PLACES: tuple[Place, ...] = (
    Place("Belgium", "BE", "Namur", "Couvin, bois de la Fagne", 50.053, 4.494),
    Place("Belgium", "BE", "Liège", "Hautes Fagnes, near Botrange", 50.501, 6.093),
    Place("Belgium", "BE", "Antwerpen", "Kalmthoutse Heide", 51.398, 4.430),
    Place("France", "FR", "Ardennes", "Givet, rochers de Charlemont", 50.137, 4.825),
    Place("Luxembourg", "LU", "Diekirch", "Vallée de la Sûre", 49.870, 6.160),
    Place("Germany", "DE", "Rheinland-Pfalz", "Eifel, Gerolstein", 50.224, 6.660),
    Place(
        "Congo, Democratic Republic of the",
        "CD",
        "Kivu",
        "Rutshuru, plaine de lave",
        -1.186,
        29.447,
    ),
    Place("Congo, Democratic Republic of the", "CD", "Katanga", "Lubumbashi", -11.664, 27.479),
    Place("Congo, Democratic Republic of the", "CD", "Kasai", "Luluabourg", -5.896, 22.417),
    Place("Rwanda", "RW", "Nord", "Ruhengeri, Volcans", -1.487, 29.600),
    Place("Burundi", "BI", "Bujumbura", "Rusizi plain", -3.305, 29.300),
    Place("Cameroon", "CM", "Sud-Ouest", "Buea, Mount Cameroon", 4.155, 9.232),
    Place("Gabon", "GA", "Estuaire", "Libreville, Mont Bouët", 0.392, 9.454),
    Place("Brazil", "BR", "Pará", "Belém, Utinga", -1.420, -48.440),
    Place("Brazil", "BR", "Minas Gerais", "Serra do Cipó", -19.250, -43.550),
    Place("Spain", "ES", "Asturias", "Picos de Europa", 43.197, -4.853),
)

LANGUAGES: tuple[tuple[str, int], ...] = (
    ("eng", 40),
    ("fra", 25),
    ("lat", 10),
    ("nld", 10),
    ("deu", 8),
    ("und", 5),
    ("por", 2),
)

TYPE_STATUSES: tuple[str, ...] = ("Holotype", "Isotype", "ISOTYPE", "Lectotype", "Syntype")

MONTHS: tuple[str, ...] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

ROMAN_MONTHS: tuple[str, ...] = (
    "i",
    "ii",
    "iii",
    "iv",
    "v",
    "vi",
    "vii",
    "viii",
    "ix",
    "x",
    "xi",
    "xii",
)
