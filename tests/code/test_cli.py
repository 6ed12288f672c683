import json

from train.cli import main


def test_data_command_prints_the_corpus_card(capsys):
    assert main(["data", "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["articles"] == 5
    assert card["sentences"]["prose"] + card["sentences"].get("headline", 0) == card["gold"]["sentences"]
    assert set(card["gold"]["agreement"]) == {"sectarian_polarization", "state_failure",
                                               "foreign_intervention", "humanitarian"}


def test_cli_help_lists_commands(capsys):
    try:
        main(["--help"])
    except SystemExit as exit_:
        assert exit_.code == 0
    assert "data" in capsys.readouterr().out
