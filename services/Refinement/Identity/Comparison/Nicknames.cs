using System.Collections.Frozen;

namespace HealthMedallion.Refinement.Identity.Comparison;

/// <summary>
/// Given names and the short or familiar forms people register under (William, Bill, Will, Billy, Liam). Two names
/// are equivalent when they belong to one family; a name may belong to several (Alex: Alexander and Alexandra).
/// Upper-case letters only, as <see cref="NameForms"/> keeps them.
/// </summary>
public static class Nicknames
{
    private static readonly string[][] Families =
    [
        ["ABIGAIL", "ABBY", "ABBIE", "GAIL"], ["ALBERT", "AL", "BERT", "BERTIE"], ["ALEXANDER", "ALEX", "AL", "SANDY", "XANDER", "ALEC", "LEX"],
        ["ALEXANDRA", "ALEX", "ALEXA", "SANDRA", "SANDY", "LEXI", "LEXIE"], ["ALFRED", "AL", "ALF", "FRED", "FREDDIE"], ["ALLISON", "ALLIE", "ALLY"],
        ["AMANDA", "MANDY", "MANDA"], ["ANDREW", "ANDY", "DREW"], ["ANGELA", "ANGIE"], ["ANTHONY", "TONY"], ["ANTONIO", "TONY"],
        ["ARTHUR", "ART", "ARTIE"], ["BARBARA", "BARB", "BABS", "BARBIE"], ["BENJAMIN", "BEN", "BENNY", "BENJI"], ["BERNARD", "BERNIE"],
        ["BEVERLY", "BEV"], ["BRADLEY", "BRAD"], ["CAROLINE", "CAROL", "CARRIE", "CARLIE"], ["CATHERINE", "CATHY", "CATE", "KATE", "KATIE", "CAT", "KITTY"],
        ["KATHERINE", "KATHY", "KATE", "KATIE", "KAT", "KAY", "KIT", "KITTY"], ["KATHLEEN", "KATHY", "KATE", "KAY"], ["CHARLES", "CHARLIE", "CHUCK", "CHAS", "CHAZ"],
        ["CHARLOTTE", "CHARLIE", "LOTTIE", "LOTTE"], ["CHRISTINA", "CHRIS", "CHRISSY", "TINA"], ["CHRISTINE", "CHRIS", "CHRISSY", "TINA"],
        ["CHRISTOPHER", "CHRIS", "KIT", "TOPHER"], ["CHRISTIAN", "CHRIS"], ["CYNTHIA", "CINDY"], ["DANIEL", "DAN", "DANNY"], ["DANIELLE", "DANI"],
        ["DAVID", "DAVE", "DAVEY"], ["DEBORAH", "DEBBIE", "DEB", "DEBBY"], ["DEBRA", "DEBBIE", "DEB"], ["DENNIS", "DENNY"], ["DONALD", "DON", "DONNIE"],
        ["DONNA", "DONNIE"], ["DOROTHY", "DOT", "DOTTIE", "DOLLY"], ["DOUGLAS", "DOUG"], ["EDWARD", "ED", "EDDIE", "TED", "TEDDY", "NED"],
        ["EDWIN", "ED", "EDDIE"], ["EDMUND", "ED", "EDDIE", "NED"], ["ELIZABETH", "LIZ", "LIZZIE", "BETH", "BETTY", "BETSY", "ELIZA", "LISA", "LIBBY", "ELLIE", "BESS"],
        ["ELEANOR", "ELLIE", "NELL", "NELLIE", "NORA"], ["EMILY", "EM", "EMMY", "MILLIE"], ["EUGENE", "GENE"], ["FRANCES", "FRAN", "FRANNIE", "FRANKIE"],
        ["FRANCIS", "FRANK", "FRANKIE"], ["FRANKLIN", "FRANK"], ["FREDERICK", "FRED", "FREDDIE", "FREDDY", "RICK"], ["GABRIEL", "GABE"],
        ["GABRIELLA", "GABBY", "ELLA"], ["GABRIELLE", "GABBY"], ["GERALD", "GERRY", "JERRY"], ["GREGORY", "GREG"], ["HAROLD", "HAL", "HARRY"],
        ["HENRY", "HANK", "HARRY", "HAL"], ["HERBERT", "HERB", "BERT"], ["ISAAC", "IKE"], ["ISABELLA", "BELLA", "IZZY", "ISA"], ["ISABEL", "BELLE", "IZZY"],
        ["JACOB", "JAKE", "JAKOB"], ["JACQUELINE", "JACKIE"], ["JAMES", "JIM", "JIMMY", "JAMIE", "JIMMIE"], ["JANET", "JAN"], ["JANICE", "JAN"],
        ["JEFFREY", "JEFF"], ["JENNIFER", "JEN", "JENNY", "JENNIE"], ["JEREMY", "JERRY"], ["JESSICA", "JESS", "JESSIE"], ["JOHN", "JACK", "JOHNNY", "JON"],
        ["JONATHAN", "JON", "JONNY", "NATHAN"], ["JOSEPH", "JOE", "JOEY"], ["JOSEPHINE", "JO", "JOSIE"], ["JOSHUA", "JOSH"], ["JUDITH", "JUDY"],
        ["JULIA", "JULIE"], ["KENNETH", "KEN", "KENNY"], ["KIMBERLY", "KIM"], ["LAWRENCE", "LARRY"], ["LEONARD", "LEN", "LENNY", "LEO"],
        ["LOUIS", "LOU", "LOUIE"], ["LOUISE", "LOU", "LOUISA"], ["MARGARET", "MAGGIE", "MEG", "PEGGY", "MARGE", "MADGE", "GRETA", "DAISY", "PEG"],
        ["MARJORIE", "MARGE"], ["MARTHA", "MARTY", "PATTY"], ["MARTIN", "MARTY"], ["MARY", "MOLLY", "POLLY", "MAMIE", "MAE"],
        ["MATTHEW", "MATT", "MATTY"], ["MELISSA", "MEL", "MISSY", "LISSA"], ["MELANIE", "MEL"], ["MICHAEL", "MIKE", "MICKEY", "MIKEY", "MICK"],
        ["MICHELLE", "SHELLY", "MICHELE"], ["MITCHELL", "MITCH"], ["NATHANIEL", "NATE", "NATHAN", "NAT"], ["NATHAN", "NATE"], ["NICHOLAS", "NICK", "NICKY", "NICO"],
        ["NICOLE", "NIKKI", "NICKY", "COLE"], ["OLIVIA", "LIV", "LIVVY", "OLLIE"], ["OLIVER", "OLLIE"], ["PAMELA", "PAM"], ["PATRICIA", "PAT", "PATTY", "TRISH", "TRICIA", "PATSY"],
        ["PATRICK", "PAT", "PADDY", "RICK"], ["PENELOPE", "PENNY"], ["PETER", "PETE"], ["PHILIP", "PHIL"], ["PHILLIP", "PHIL"], ["RACHEL", "RACHIE"],
        ["RAYMOND", "RAY"], ["REBECCA", "BECKY", "BECCA", "BECKIE"], ["RICHARD", "RICK", "DICK", "RICH", "RICHIE", "RICKY"], ["ROBERT", "BOB", "BOBBY", "ROB", "ROBBIE", "BERT"],
        ["ROBERTA", "BOBBIE", "BERTA"], ["RODNEY", "ROD"], ["RONALD", "RON", "RONNIE"], ["ROSEMARY", "ROSE", "ROSIE"], ["SAMANTHA", "SAM", "SAMMY"],
        ["SAMUEL", "SAM", "SAMMY"], ["SANDRA", "SANDY"], ["SARAH", "SALLY", "SADIE"], ["SARA", "SALLY"], ["STEPHANIE", "STEPH", "STEPHIE"], ["STEPHEN", "STEVE", "STEVIE"],
        ["STEVEN", "STEVE", "STEVIE"], ["SUSAN", "SUE", "SUSIE", "SUZY"], ["SUZANNE", "SUE", "SUZY"], ["TERESA", "TERRY", "TESS", "TESSA"], ["THERESA", "TERRY", "TESS", "TESSA"],
        ["THEODORE", "TED", "TEDDY", "THEO"], ["THOMAS", "TOM", "TOMMY"], ["TIMOTHY", "TIM", "TIMMY"], ["VALERIE", "VAL"], ["VICTORIA", "VICKY", "TORI", "VICKI"],
        ["VINCENT", "VINCE", "VINNY"], ["VIRGINIA", "GINNY", "GINGER"], ["WALTER", "WALT", "WALLY"], ["WILLIAM", "BILL", "BILLY", "WILL", "WILLIE", "LIAM", "WILLY"],
        ["ZACHARY", "ZACH", "ZACK"], ["ADAM", "ADDIE"], ["ALICE", "ALLIE"], ["ANNE", "ANNIE", "NAN", "NANCY"], ["ANN", "ANNIE", "NAN"], ["ANNA", "ANNIE"],
        ["CAMERON", "CAM"], ["DOMINIC", "DOM"], ["EVELYN", "EVIE", "EVE"], ["GEORGE", "GEORGIE"], ["HARRISON", "HARRY"], ["HELEN", "NELL", "NELLIE"],
        ["JOANNA", "JO", "JOANIE"], ["JOAN", "JOANIE"], ["JUSTIN", "JUSTY"], ["KEVIN", "KEV"], ["LILLIAN", "LILY", "LIL"], ["MADELINE", "MADDIE", "MADDY"],
        ["MADISON", "MADDIE", "MADDY"], ["MAXWELL", "MAX"], ["MAXIMILIAN", "MAX"], ["NANCY", "NAN"], ["RONALDO", "RON"], ["RUSSELL", "RUSS"],
        ["SEBASTIAN", "SEB"], ["SOPHIA", "SOPHIE"], ["STANLEY", "STAN"], ["SYLVIA", "SYL"], ["TABITHA", "TABBY"], ["TAYLOR", "TAY"],
    ];

    private static readonly FrozenDictionary<string, int[]> FamiliesOf = Families
        .SelectMany((family, index) => family.Select(name => (name, index)))
        .GroupBy(x => x.name, StringComparer.Ordinal)
        .ToFrozenDictionary(g => g.Key, g => g.Select(x => x.index).Distinct().ToArray(), StringComparer.Ordinal);

    /// <summary>True when the two (different) names are forms of one given name.</summary>
    public static bool AreEquivalent(string a, string b)
    {
        if (!FamiliesOf.TryGetValue(a, out var ofA) || !FamiliesOf.TryGetValue(b, out var ofB))
        {
            return false;
        }

        foreach (var family in ofA)
        {
            if (Array.IndexOf(ofB, family) >= 0)
            {
                return true;
            }
        }

        return false;
    }
}
